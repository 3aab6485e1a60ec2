package order_test

import (
	"strings"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestCancel(t *testing.T) {
	t.Parallel()
	cancel := func(c order.CancelOrder) func(*order.Order) error {
		return func(o *order.Order) error { return o.Cancel(c, t0) }
	}
	one := placed(item("p-1", 3, 100, 50))
	run(t, []scenario{
		{
			name: "cancels a submitted order without refund", given: []es.Payload{one}, when: cancel(cancelCmd()),
			then: []es.Payload{cancelled(nil)},
			check: func(t *testing.T, o *order.Order) {
				if s := o.State(); s.Status != order.StatusCancelled || s.Cancellation == nil || s.Cancellation.RefundDue != nil {
					t.Errorf("state = %+v", s)
				}
			},
		},
		{name: "cancels an empty order", given: []es.Payload{placed()}, when: cancel(cancelCmd()), then: []es.Payload{cancelled(nil)}},
		{
			name: "cancelling a paid order records the refund due", given: []es.Payload{one, paid(250)}, when: cancel(cancelCmd()),
			then: []es.Payload{cancelled(eurPtr(250))},
			check: func(t *testing.T, o *order.Order) {
				if s := o.State(); s.Cancellation == nil || s.Cancellation.RefundDue == nil || *s.Cancellation.RefundDue != eur(250) {
					t.Errorf("state = %+v", s)
				}
			},
		},
		{name: "after shipping", given: []es.Payload{one, paid(250), shipped()}, when: cancel(cancelCmd()), code: es.Rejected, rule: order.RuleAlreadyShipped},
		{name: "already cancelled", given: []es.Payload{one, cancelled(nil)}, when: cancel(cancelCmd()), code: es.Rejected, rule: order.RuleAlreadyCancelled},
		{name: "order not placed", when: cancel(cancelCmd()), code: es.NotFound, rule: order.RuleNotFound},
		{name: "reason required", given: []es.Payload{one}, when: cancel(order.CancelOrder{OrderID: oid}), code: es.Invalid, rule: order.RuleRequired, field: "reason"},
		{name: "reason too long", given: []es.Payload{one}, when: cancel(order.CancelOrder{OrderID: oid, Reason: strings.Repeat("r", order.MaxReasonLength+1)}), code: es.Invalid, rule: order.RuleTooLong, field: "reason"},
		{name: "command for another order id", given: []es.Payload{one}, when: cancel(order.CancelOrder{OrderID: "o-2", Reason: "x"}), code: es.Invalid, rule: order.RuleIDMismatch, field: "orderId"},
	})
}
