package order_test

import (
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestPay(t *testing.T) {
	t.Parallel()
	pay := func(c order.PayOrder) func(*order.Order) error {
		return func(o *order.Order) error { return o.Pay(c, t0) }
	}
	// 2*1000 - 300 + 1*500 = 2200
	two := placed(item("p-1", 2, 1000, 300), item("p-2", 1, 500, 0))
	run(t, []scenario{
		{
			name: "pays the exact total net of discounts", given: []es.Payload{two}, when: pay(payCmd(2200)),
			then: []es.Payload{paid(2200)},
			check: func(t *testing.T, o *order.Order) {
				s := o.State()
				if s.Status != order.StatusPaid || s.Payment == nil || s.Payment.Amount != eur(2200) || s.Payment.Reference != "pay-1" {
					t.Errorf("state = %+v", s)
				}
			},
		},
		{name: "pays the total after later changes", given: []es.Payload{two, added("p-1", 1, 1000, 0), removed("p-2")}, when: pay(payCmd(2700)), then: []es.Payload{paid(2700)}},
		{name: "pays an order of free items", given: []es.Payload{placed(item("p-1", 1, 0, 0))}, when: pay(payCmd(0)), then: []es.Payload{paid(0)}},
		{name: "amount below total", given: []es.Payload{two}, when: pay(payCmd(2199)), code: es.Rejected, rule: order.RuleAmountMismatch, field: "amount.amount"},
		{name: "amount above total", given: []es.Payload{two}, when: pay(payCmd(2201)), code: es.Rejected, rule: order.RuleAmountMismatch, field: "amount.amount"},
		{name: "gross amount ignoring the discount", given: []es.Payload{two}, when: pay(payCmd(2500)), code: es.Rejected, rule: order.RuleAmountMismatch, field: "amount.amount"},
		{
			name: "wrong currency", given: []es.Payload{two},
			when: pay(order.PayOrder{OrderID: oid, PaymentReference: "pay-1", Amount: order.Money{Amount: 2200, Currency: "USD"}}),
			code: es.Rejected, rule: order.RuleCurrencyMismatch, field: "amount.currency",
		},
		{name: "negative amount", given: []es.Payload{two}, when: pay(payCmd(-1)), code: es.Invalid, rule: order.RuleAmountRange, field: "amount.amount"},
		{name: "reference required", given: []es.Payload{two}, when: pay(order.PayOrder{OrderID: oid, Amount: eur(2200)}), code: es.Invalid, rule: order.RuleRequired, field: "paymentReference"},
		{name: "order without items", given: []es.Payload{placed()}, when: pay(payCmd(0)), code: es.Rejected, rule: order.RuleEmpty},
		{name: "order whose items were removed", given: []es.Payload{placed(item("p-1", 1, 100, 0)), removed("p-1")}, when: pay(payCmd(0)), code: es.Rejected, rule: order.RuleEmpty},
		{name: "order not placed", when: pay(payCmd(0)), code: es.NotFound, rule: order.RuleNotFound},
		{name: "already paid", given: []es.Payload{two, paid(2200)}, when: pay(payCmd(2200)), code: es.Rejected, rule: order.RuleAlreadyPaid},
		{name: "after shipping", given: []es.Payload{two, paid(2200), shipped()}, when: pay(payCmd(2200)), code: es.Rejected, rule: order.RuleAlreadyShipped},
		{name: "after cancel", given: []es.Payload{two, cancelled(nil)}, when: pay(payCmd(2200)), code: es.Rejected, rule: order.RuleAlreadyCancelled},
	})
}
