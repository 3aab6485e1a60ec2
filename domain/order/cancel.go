package order

import (
	"time"

	"orderctx/domain/es"
)

// CancelOrder asks to cancel an order that has not shipped.
type CancelOrder struct {
	OrderID string `json:"orderId"`
	// Reason is required so that support and the buyer can see why.
	Reason string `json:"reason"`
}

// Validate reports every problem of the command that can be seen without the
// order's state, joined; each is an *es.Error with code Invalid.
func (c CancelOrder) Validate() error {
	var p problems
	p.id("orderId", c.OrderID)
	p.text("reason", c.Reason, MaxReasonLength, true)
	return p.err()
}

// Cancel records OrderCancelled. Cancelling a paid order records the paid
// amount as RefundDue on the event; the refund itself is the payment side's
// job. A second cancellation is refused rather than ignored, so the caller
// learns that its reason was not recorded (retries of the same command are
// recognised by commandId before they reach the aggregate).
//
// Errors, in the order they are checked: Invalid from Validate; Invalid
// RuleIDMismatch; NotFound RuleNotFound; Rejected RuleAlreadyShipped,
// RuleAlreadyCancelled.
func (o *Order) Cancel(cmd CancelOrder, now time.Time) error {
	if err := cmd.Validate(); err != nil {
		return err
	}
	if cmd.OrderID != o.id {
		return idMismatch(cmd.OrderID, o.id)
	}
	if err := o.requirePlaced(); err != nil {
		return err
	}
	var refund *Money
	switch o.state.Status {
	case StatusSubmitted:
	case StatusPaid:
		paid := o.state.Payment.Amount
		refund = &paid
	case StatusShipped:
		return es.Errorf(es.Rejected, RuleAlreadyShipped, "cannot cancel: order %s has already shipped", o.id)
	default:
		return es.Errorf(es.Rejected, RuleAlreadyCancelled, "cannot cancel: order %s is already cancelled", o.id)
	}
	return o.root.Record(OrderCancelled{
		OrderID:     o.id,
		Reason:      cmd.Reason,
		RefundDue:   refund,
		CancelledAt: now.UTC(),
	})
}
