package order

import (
	"time"

	"orderctx/domain/es"
)

// ShipOrder asks to record that a paid order was handed to a carrier.
type ShipOrder struct {
	OrderID        string `json:"orderId"`
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
}

// Validate reports every problem of the command that can be seen without the
// order's state, joined; each is an *es.Error with code Invalid.
func (c ShipOrder) Validate() error {
	var p problems
	p.id("orderId", c.OrderID)
	p.text("carrier", c.Carrier, MaxCarrierLength, true)
	p.text("trackingNumber", c.TrackingNumber, MaxTrackingNumberLength, true)
	return p.err()
}

// Ship records OrderShipped.
//
// Errors, in the order they are checked: Invalid from Validate; Invalid
// RuleIDMismatch; NotFound RuleNotFound; Rejected RuleNotPaid,
// RuleAlreadyShipped, RuleAlreadyCancelled.
func (o *Order) Ship(cmd ShipOrder, now time.Time) error {
	if err := cmd.Validate(); err != nil {
		return err
	}
	if cmd.OrderID != o.id {
		return idMismatch(cmd.OrderID, o.id)
	}
	if err := o.requirePlaced(); err != nil {
		return err
	}
	switch o.state.Status {
	case StatusPaid:
	case StatusSubmitted:
		return es.Errorf(es.Rejected, RuleNotPaid, "cannot ship: order %s is not paid", o.id)
	case StatusShipped:
		return es.Errorf(es.Rejected, RuleAlreadyShipped, "cannot ship: order %s has already shipped", o.id)
	default:
		return es.Errorf(es.Rejected, RuleAlreadyCancelled, "cannot ship: order %s is cancelled", o.id)
	}
	return o.root.Record(OrderShipped{
		OrderID:        o.id,
		Carrier:        cmd.Carrier,
		TrackingNumber: cmd.TrackingNumber,
		ShippedAt:      now.UTC(),
	})
}
