package contracts

import "time"

// The v1 payloads. Their JSON is the public schema in
// docs/contracts/<name>.schema.json; keep both in step (the contract test
// fails when they differ).

// OrderPlaced (OrderPlacedV1) announces a new order with its items and total.
type OrderPlaced struct {
	OrderID         string    `json:"orderId"`
	BuyerID         string    `json:"buyerId"`
	Currency        string    `json:"currency"`
	ShippingAddress Address   `json:"shippingAddress"`
	Items           []Item    `json:"items"`
	Total           Money     `json:"total"`
	PlacedAt        time.Time `json:"placedAt"`
}

// Change kinds of OrderChanged.
const (
	ChangeItemAdded   = "itemAdded"
	ChangeItemRemoved = "itemRemoved"
)

// Change says what an OrderChanged changed. QuantityAdded is set for
// ChangeItemAdded only.
type Change struct {
	Kind          string `json:"kind"`
	ProductID     string `json:"productId"`
	QuantityAdded int    `json:"quantityAdded,omitempty"`
}

// OrderChanged (OrderChangedV1) carries the order's items and total after an
// item-level edit, so a subscriber needs no earlier message to know the
// order's content; Change names the edit.
type OrderChanged struct {
	OrderID   string    `json:"orderId"`
	Change    Change    `json:"change"`
	Items     []Item    `json:"items"`
	Total     Money     `json:"total"`
	ChangedAt time.Time `json:"changedAt"`
}

// OrderPaid (OrderPaidV1) announces that an order was paid in full.
type OrderPaid struct {
	OrderID          string    `json:"orderId"`
	PaymentReference string    `json:"paymentReference"`
	Amount           Money     `json:"amount"`
	PaidAt           time.Time `json:"paidAt"`
}

// OrderShipped (OrderShippedV1) announces the hand-over to a carrier.
type OrderShipped struct {
	OrderID        string    `json:"orderId"`
	Carrier        string    `json:"carrier"`
	TrackingNumber string    `json:"trackingNumber"`
	ShippedAt      time.Time `json:"shippedAt"`
}

// OrderCancelled (OrderCancelledV1) announces a cancellation. RefundDue is
// present exactly when the order had been paid: the amount to refund.
type OrderCancelled struct {
	OrderID     string    `json:"orderId"`
	Reason      string    `json:"reason"`
	RefundDue   *Money    `json:"refundDue,omitempty"`
	CancelledAt time.Time `json:"cancelledAt"`
}
