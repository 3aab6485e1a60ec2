package order_test

import (
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestRemoveItem(t *testing.T) {
	t.Parallel()
	remove := func(pid string) func(*order.Order) error {
		return func(o *order.Order) error { return o.RemoveItem(order.RemoveItem{OrderID: oid, ProductID: pid}) }
	}
	two := placed(item("p-1", 2, 1000, 100), item("p-2", 1, 500, 0))
	run(t, []scenario{
		{
			name: "removes the whole line", given: []es.Payload{two}, when: remove("p-1"),
			then: []es.Payload{removed("p-1")},
			check: func(t *testing.T, o *order.Order) {
				if len(o.Items()) != 1 || o.Items()[0].ProductID != "p-2" || o.Total() != eur(500) {
					t.Errorf("items %+v total %v", o.Items(), o.Total())
				}
			},
		},
		{
			name: "removes the last item", given: []es.Payload{placed(item("p-1", 1, 100, 0))}, when: remove("p-1"),
			then: []es.Payload{removed("p-1")},
			check: func(t *testing.T, o *order.Order) {
				if len(o.Items()) != 0 || o.Total() != eur(0) {
					t.Errorf("items %+v total %v", o.Items(), o.Total())
				}
			},
		},
		{name: "product added later", given: []es.Payload{placed(), added("p-3", 1, 1, 0)}, when: remove("p-3"), then: []es.Payload{removed("p-3")}},
		{name: "product already removed", given: []es.Payload{two, removed("p-1")}, when: remove("p-1"), code: es.NotFound, rule: order.RuleItemNotFound, field: "productId"},
		{name: "unknown product", given: []es.Payload{two}, when: remove("p-9"), code: es.NotFound, rule: order.RuleItemNotFound, field: "productId"},
		{name: "malformed product id", given: []es.Payload{two}, when: remove("p 1"), code: es.Invalid, rule: order.RuleFormat, field: "productId"},
		{name: "order not placed", when: remove("p-1"), code: es.NotFound, rule: order.RuleNotFound},
		{name: "after payment", given: []es.Payload{two, paid(2400)}, when: remove("p-1"), code: es.Rejected, rule: order.RuleAlreadyPaid},
		{name: "after shipping", given: []es.Payload{two, paid(2400), shipped()}, when: remove("p-1"), code: es.Rejected, rule: order.RuleAlreadyShipped},
		{name: "after cancel", given: []es.Payload{two, cancelled(nil)}, when: remove("p-1"), code: es.Rejected, rule: order.RuleAlreadyCancelled},
	})
}
