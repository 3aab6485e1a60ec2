package order

import (
	"encoding/json"
	"fmt"
	"time"

	"orderctx/domain/es"
)

// Logical event type names, one per payload type. They are stored with every
// event and must never change; a new meaning gets a new name.
const (
	EventOrderPlaced    = "order.placed"
	EventItemAdded      = "order.item_added"
	EventItemRemoved    = "order.item_removed"
	EventOrderPaid      = "order.paid"
	EventOrderShipped   = "order.shipped"
	EventOrderCancelled = "order.cancelled"
)

// Current schema versions of the event payloads. Raising one requires an
// upcaster from the previous version in RegisterEvents. OrderPlaced is at 2:
// v1 had the address fields flat at the top level of the payload, v2 nests
// them under shippingAddress.
const (
	OrderPlacedSchemaVersion    = 2
	ItemAddedSchemaVersion      = 1
	ItemRemovedSchemaVersion    = 1
	OrderPaidSchemaVersion      = 1
	OrderShippedSchemaVersion   = 1
	OrderCancelledSchemaVersion = 1
)

// The payload types below, and the Address, Item and Money types they use, are
// the stored event schema: a change to their JSON shape needs a new schema
// version and an upcaster.

// OrderPlaced records a new order. The initial items are part of this event
// (not separate ItemAdded events), so one event describes the order as the
// buyer submitted it and consumers never see a placed order without its items.
type OrderPlaced struct {
	OrderID         string    `json:"orderId"`
	BuyerID         string    `json:"buyerId"`
	Currency        string    `json:"currency"`
	ShippingAddress Address   `json:"shippingAddress"`
	Items           []Item    `json:"items"`
	PlacedAt        time.Time `json:"placedAt"`
}

// ItemAdded records a quantity of a product added to the order. If the product
// is already in the order, Quantity and Discount are added to its line.
type ItemAdded struct {
	OrderID   string `json:"orderId"`
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unitPrice"`
	Discount  Money  `json:"discount"`
}

// ItemRemoved records that a product's whole line left the order.
type ItemRemoved struct {
	OrderID   string `json:"orderId"`
	ProductID string `json:"productId"`
}

// OrderPaid records a payment of the full order total.
type OrderPaid struct {
	OrderID          string    `json:"orderId"`
	PaymentReference string    `json:"paymentReference"`
	Amount           Money     `json:"amount"`
	PaidAt           time.Time `json:"paidAt"`
}

// OrderShipped records the hand-over of a paid order to a carrier.
type OrderShipped struct {
	OrderID        string    `json:"orderId"`
	Carrier        string    `json:"carrier"`
	TrackingNumber string    `json:"trackingNumber"`
	ShippedAt      time.Time `json:"shippedAt"`
}

// OrderCancelled records a cancellation. RefundDue is present exactly when the
// order had been paid and holds the paid amount, so the publisher can ask the
// payment side for a refund without reading the order's history.
type OrderCancelled struct {
	OrderID     string    `json:"orderId"`
	Reason      string    `json:"reason"`
	RefundDue   *Money    `json:"refundDue,omitempty"`
	CancelledAt time.Time `json:"cancelledAt"`
}

// Each payload names its logical type and current schema version (es.VersionedPayload).

func (OrderPlaced) EventType() string    { return EventOrderPlaced }
func (ItemAdded) EventType() string      { return EventItemAdded }
func (ItemRemoved) EventType() string    { return EventItemRemoved }
func (OrderPaid) EventType() string      { return EventOrderPaid }
func (OrderShipped) EventType() string   { return EventOrderShipped }
func (OrderCancelled) EventType() string { return EventOrderCancelled }

func (OrderPlaced) SchemaVersion() int    { return OrderPlacedSchemaVersion }
func (ItemAdded) SchemaVersion() int      { return ItemAddedSchemaVersion }
func (ItemRemoved) SchemaVersion() int    { return ItemRemovedSchemaVersion }
func (OrderPaid) SchemaVersion() int      { return OrderPaidSchemaVersion }
func (OrderShipped) SchemaVersion() int   { return OrderShippedSchemaVersion }
func (OrderCancelled) SchemaVersion() int { return OrderCancelledSchemaVersion }

// RegisterEvents registers every order event type with its current schema
// version, and the upcasters from older versions.
func RegisterEvents(r *es.Registry) error {
	for _, register := range []func(*es.Registry) error{
		es.Register[OrderPlaced], es.Register[ItemAdded], es.Register[ItemRemoved],
		es.Register[OrderPaid], es.Register[OrderShipped], es.Register[OrderCancelled],
	} {
		if err := register(r); err != nil {
			return err
		}
	}
	return r.RegisterUpcaster(EventOrderPlaced, 1, upcastOrderPlacedV1)
}

// upcastOrderPlacedV1 moves the flat v1 address fields under shippingAddress.
// It works on a map of raw values so every other field, known or not, passes
// through untouched.
func upcastOrderPlacedV1(data json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("order.placed v1: %w", err)
	}
	if fields == nil {
		return nil, fmt.Errorf("order.placed v1: payload is not an object")
	}
	if _, ok := fields["shippingAddress"]; ok {
		return nil, fmt.Errorf("order.placed v1: already has shippingAddress")
	}
	address := make(map[string]json.RawMessage, 4)
	for _, k := range []string{"street", "city", "postalCode", "country"} {
		if v, ok := fields[k]; ok {
			address[k] = v
			delete(fields, k)
		}
	}
	nested, err := json.Marshal(address)
	if err != nil {
		return nil, err
	}
	fields["shippingAddress"] = nested
	return json.Marshal(fields)
}

// NewRegistry returns a registry that knows the order events: what every
// component that reads or writes order streams starts from.
func NewRegistry() (*es.Registry, error) {
	reg := es.NewRegistry()
	if err := RegisterEvents(reg); err != nil {
		return nil, fmt.Errorf("register order events: %w", err)
	}
	return reg, nil
}

// AcceptsSnapshot reports whether a stored snapshot has the shape this
// version of the order loads. Snapshots are never upcast: one of another
// shape is ignored and the stream replayed, which always rebuilds the right
// state (give it to the event store's AcceptSnapshots).
func AcceptsSnapshot(s es.Snapshot) bool {
	return s.AggregateType == SnapshotType && s.SchemaVersion == SnapshotSchemaVersion
}
