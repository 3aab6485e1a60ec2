package orderview

import (
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// Status is the lifecycle status an order view shows.
type Status string

// The statuses of a view. They are part of the query API's contract, so they
// are mapped from the domain's statuses explicitly (statusNames) rather than
// copied: a renamed domain constant cannot silently change the API.
const (
	Submitted Status = "submitted"
	Paid      Status = "paid"
	Shipped   Status = "shipped"
	Cancelled Status = "cancelled"
)

// statusNames maps every status an existing order can have to its view name.
var statusNames = map[order.Status]Status{
	order.StatusSubmitted: Submitted,
	order.StatusPaid:      Paid,
	order.StatusShipped:   Shipped,
	order.StatusCancelled: Cancelled,
}

// View is the read model of one order. Amounts are minor units of Currency.
// Optional members are absent from the JSON until they apply (refundDue only
// for a cancellation of a paid order, carrier once shipped, ...).
type View struct {
	// ID is the document id: the order id (the views container is
	// partitioned on /id).
	ID               string     `json:"id"`
	OrderID          string     `json:"orderId"`
	Status           Status     `json:"status"`
	BuyerID          string     `json:"buyerId"`
	Currency         string     `json:"currency"`
	ShippingAddress  Address    `json:"shippingAddress"`
	Items            []Item     `json:"items"`
	Total            int64      `json:"total"`
	RefundDue        *int64     `json:"refundDue,omitempty"`
	PaymentReference string     `json:"paymentReference,omitempty"`
	Carrier          string     `json:"carrier,omitempty"`
	TrackingNumber   string     `json:"trackingNumber,omitempty"`
	CancelReason     string     `json:"cancelReason,omitempty"`
	PlacedAt         time.Time  `json:"placedAt"`
	PaidAt           *time.Time `json:"paidAt,omitempty"`
	ShippedAt        *time.Time `json:"shippedAt,omitempty"`
	CancelledAt      *time.Time `json:"cancelledAt,omitempty"`
	// UpdatedAt is when the last applied event occurred.
	UpdatedAt time.Time `json:"updatedAt"`
	// Version is the stream version of the last applied event: a query that
	// must see a command's effect waits until Version reaches the version the
	// command returned.
	Version int64 `json:"version"`
}

// Address is the shipping address.
type Address struct {
	Street     string `json:"street"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

// Item is one order line. LineTotal is Quantity*UnitPrice - Discount (the
// discount is for the whole line).
type Item struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
	Discount  int64  `json:"discount"`
	LineTotal int64  `json:"lineTotal"`
}

// FromState returns the view of an order state at a stream version.
func FromState(s order.State, version int64, updatedAt time.Time) (View, error) {
	status, ok := statusNames[s.Status]
	if !ok {
		return View{}, es.Errorf(es.Internal, es.RuleCorruptHistory, "order %s: no view status for %q", s.OrderID, s.Status)
	}
	v := View{
		ID: s.OrderID, OrderID: s.OrderID, Status: status, BuyerID: s.BuyerID, Currency: s.Currency,
		ShippingAddress: Address(s.ShippingAddress),
		Items:           make([]Item, len(s.Items)),
		Total:           s.Total.Amount,
		PlacedAt:        s.PlacedAt,
		UpdatedAt:       updatedAt,
		Version:         version,
	}
	for i, it := range s.Items {
		v.Items[i] = Item{ProductID: it.ProductID, Name: it.Name, Quantity: it.Quantity,
			UnitPrice: it.UnitPrice.Amount, Discount: it.Discount.Amount, LineTotal: it.LineTotal().Amount}
	}
	if p := s.Payment; p != nil {
		v.PaymentReference, v.PaidAt = p.Reference, timePtr(p.PaidAt)
	}
	if sh := s.Shipment; sh != nil {
		v.Carrier, v.TrackingNumber, v.ShippedAt = sh.Carrier, sh.TrackingNumber, timePtr(sh.ShippedAt)
	}
	if c := s.Cancellation; c != nil {
		v.CancelReason, v.CancelledAt = c.Reason, timePtr(c.CancelledAt)
		if c.RefundDue != nil {
			r := c.RefundDue.Amount
			v.RefundDue = &r
		}
	}
	return v, nil
}

// State returns the order state the view shows: the inverse of FromState.
// Amounts get the order's currency back (the domain keeps every amount of an
// order in its currency), and a payment's amount is the total (an order is
// paid in full and its items are final from then on).
func (v View) State() (order.State, error) {
	s := order.State{
		OrderID: v.OrderID, BuyerID: v.BuyerID, Currency: v.Currency,
		ShippingAddress: order.Address(v.ShippingAddress),
		Items:           make([]order.Item, len(v.Items)),
		Total:           v.money(v.Total),
		PlacedAt:        v.PlacedAt,
	}
	for st, name := range statusNames {
		if name == v.Status {
			s.Status = st
		}
	}
	if s.Status == order.StatusNone {
		return order.State{}, es.Errorf(es.Internal, es.RuleSnapshotIncompatible, "view %s: unknown status %q", v.ID, v.Status)
	}
	for i, it := range v.Items {
		s.Items[i] = order.Item{ProductID: it.ProductID, Name: it.Name, Quantity: it.Quantity,
			UnitPrice: v.money(it.UnitPrice), Discount: v.money(it.Discount)}
	}
	if v.PaidAt != nil {
		s.Payment = &order.Payment{Reference: v.PaymentReference, Amount: s.Total, PaidAt: *v.PaidAt}
	}
	if v.ShippedAt != nil {
		s.Shipment = &order.Shipment{Carrier: v.Carrier, TrackingNumber: v.TrackingNumber, ShippedAt: *v.ShippedAt}
	}
	if v.CancelledAt != nil {
		s.Cancellation = &order.Cancellation{Reason: v.CancelReason, CancelledAt: *v.CancelledAt}
		if v.RefundDue != nil {
			r := v.money(*v.RefundDue)
			s.Cancellation.RefundDue = &r
		}
	}
	return s, nil
}

func (v View) money(amount int64) order.Money {
	return order.Money{Amount: amount, Currency: v.Currency}
}

func timePtr(t time.Time) *time.Time { return &t }
