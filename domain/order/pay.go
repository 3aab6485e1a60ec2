package order

import (
	"time"

	"orderctx/domain/es"
)

// PayOrder asks to record the payment of a submitted order.
type PayOrder struct {
	OrderID          string `json:"orderId"`
	PaymentReference string `json:"paymentReference"`
	Amount           Money  `json:"amount"`
}

// Validate reports every problem of the command that can be seen without the
// order's state, joined; each is an *es.Error with code Invalid.
func (c PayOrder) Validate() error {
	var p problems
	p.id("orderId", c.OrderID)
	p.text("paymentReference", c.PaymentReference, MaxPaymentReferenceLength, true)
	p.money("amount", c.Amount, "")
	return p.err()
}

// Pay records OrderPaid. Only the full total in the order's currency is
// accepted: partial payments would need a balance the order does not model.
//
// Errors, in the order they are checked: Invalid from Validate; Invalid
// RuleIDMismatch; NotFound RuleNotFound; Rejected RuleAlreadyPaid,
// RuleAlreadyShipped, RuleAlreadyCancelled, RuleEmpty, RuleCurrencyMismatch,
// RuleAmountMismatch.
func (o *Order) Pay(cmd PayOrder, now time.Time) error {
	if err := cmd.Validate(); err != nil {
		return err
	}
	if cmd.OrderID != o.id {
		return idMismatch(cmd.OrderID, o.id)
	}
	if err := o.requirePlaced(); err != nil {
		return err
	}
	if err := o.requireOpen("pay"); err != nil {
		return err
	}
	if len(o.state.Items) == 0 {
		return es.Errorf(es.Rejected, RuleEmpty, "cannot pay: order %s has no items", o.id)
	}
	if cmd.Amount.Currency != o.state.Currency {
		return es.FieldErrorf(es.Rejected, RuleCurrencyMismatch, "amount.currency", "must be the order currency %s, got %s", o.state.Currency, cmd.Amount.Currency)
	}
	if cmd.Amount != o.state.Total {
		return es.FieldErrorf(es.Rejected, RuleAmountMismatch, "amount.amount", "must equal the order total %s, got %s", o.state.Total, cmd.Amount)
	}
	return o.root.Record(OrderPaid{
		OrderID:          o.id,
		PaymentReference: cmd.PaymentReference,
		Amount:           cmd.Amount,
		PaidAt:           now.UTC(),
	})
}
