package order_test

import (
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestAddItem(t *testing.T) {
	t.Parallel()
	add := func(c order.AddItem) func(*order.Order) error {
		return func(o *order.Order) error { return o.AddItem(c) }
	}
	withP1 := []es.Payload{placed(item("p-1", 2, 1000, 100))}
	half := order.MaxAmount/2 + 1
	run(t, []scenario{
		{
			name:  "adds a new product",
			given: []es.Payload{placed()},
			when:  add(addCmd("p-1", 2, 1000, eurPtr(150))),
			then:  []es.Payload{added("p-1", 2, 1000, 150)},
			check: func(t *testing.T, o *order.Order) {
				if o.Total() != eur(1850) {
					t.Errorf("total = %v", o.Total())
				}
			},
		},
		{
			name:  "the same product merges quantities and discounts",
			given: withP1,
			when:  add(addCmd("p-1", 3, 1000, eurPtr(50))),
			then:  []es.Payload{added("p-1", 3, 1000, 50)},
			check: func(t *testing.T, o *order.Order) {
				items := o.Items()
				if len(items) != 1 || items[0] != item("p-1", 5, 1000, 150) || o.Total() != eur(4850) {
					t.Errorf("items = %+v total %v", items, o.Total())
				}
			},
		},
		{
			name:  "merging keeps the first name",
			given: withP1,
			when: add(order.AddItem{OrderID: oid, ItemInput: order.ItemInput{
				ProductID: "p-1", Name: "Renamed", Quantity: 1, UnitPrice: eur(1000),
			}}),
			then: []es.Payload{order.ItemAdded{OrderID: oid, ProductID: "p-1", Name: "Renamed", Quantity: 1, UnitPrice: eur(1000), Discount: eur(0)}},
			check: func(t *testing.T, o *order.Order) {
				if got := o.Items()[0].Name; got != "Product p-1" {
					t.Errorf("name = %q", got)
				}
			},
		},
		{name: "the same product at another unit price", given: withP1, when: add(addCmd("p-1", 1, 999, nil)), code: es.Rejected, rule: order.RuleUnitPriceMismatch, field: "unitPrice.amount"},
		{name: "merged quantity above max", given: withP1, when: add(addCmd("p-1", order.MaxQuantity-1, 1000, nil)), code: es.Rejected, rule: order.RuleQuantityRange, field: "quantity"},
		{name: "merged quantity at max", given: withP1, when: add(addCmd("p-1", order.MaxQuantity-2, 1000, nil)), then: []es.Payload{added("p-1", order.MaxQuantity-2, 1000, 0)}},
		{name: "discount equal to line total", given: []es.Payload{placed()}, when: add(addCmd("p-1", 2, 1000, eurPtr(2000))), then: []es.Payload{added("p-1", 2, 1000, 2000)}},
		{name: "discount above line total", given: []es.Payload{placed()}, when: add(addCmd("p-1", 2, 1000, eurPtr(2001))), code: es.Invalid, rule: order.RuleDiscountExceedsLine, field: "discount.amount"},
		{name: "negative discount", given: []es.Payload{placed()}, when: add(addCmd("p-1", 2, 1000, eurPtr(-1))), code: es.Invalid, rule: order.RuleAmountRange, field: "discount.amount"},
		{name: "discount in another currency than the price", given: []es.Payload{placed()}, when: add(addCmd("p-1", 2, 1000, &order.Money{Amount: 1, Currency: "USD"})), code: es.Invalid, rule: order.RuleCurrencyMismatch, field: "discount.currency"},
		{name: "zero quantity", given: []es.Payload{placed()}, when: add(addCmd("p-1", 0, 1000, nil)), code: es.Invalid, rule: order.RuleQuantityRange, field: "quantity"},
		{name: "negative quantity", given: []es.Payload{placed()}, when: add(addCmd("p-1", -3, 1000, nil)), code: es.Invalid, rule: order.RuleQuantityRange, field: "quantity"},
		{name: "negative price", given: []es.Payload{placed()}, when: add(addCmd("p-1", 1, -1, nil)), code: es.Invalid, rule: order.RuleAmountRange, field: "unitPrice.amount"},
		{name: "free product", given: []es.Payload{placed()}, when: add(addCmd("p-1", 1, 0, nil)), then: []es.Payload{added("p-1", 1, 0, 0)}},
		{
			name: "price in another currency than the order", given: []es.Payload{placed()},
			when: add(order.AddItem{OrderID: oid, ItemInput: order.ItemInput{ProductID: "p-1", Name: "x", Quantity: 1, UnitPrice: order.Money{Amount: 1, Currency: "USD"}}}),
			code: es.Rejected, rule: order.RuleCurrencyMismatch, field: "unitPrice.currency",
		},
		{
			name: "price without currency", given: []es.Payload{placed()},
			when: add(order.AddItem{OrderID: oid, ItemInput: order.ItemInput{ProductID: "p-1", Name: "x", Quantity: 1, UnitPrice: order.Money{Amount: 1}}}),
			code: es.Invalid, rule: order.RuleRequired, field: "unitPrice.currency",
		},
		{name: "line total above max", given: []es.Payload{placed()}, when: add(addCmd("p-1", 2, half, nil)), code: es.Invalid, rule: order.RuleAmountOverflow, field: "unitPrice.amount"},
		{name: "line total overflows int64", given: []es.Payload{placed()}, when: add(addCmd("p-1", order.MaxQuantity, order.MaxAmount, nil)), code: es.Invalid, rule: order.RuleAmountOverflow, field: "unitPrice.amount"},
		{name: "merged line total above max", given: []es.Payload{placed(item("p-1", 1, half, 0))}, when: add(addCmd("p-1", 1, half, nil)), code: es.Rejected, rule: order.RuleAmountOverflow, field: "quantity"},
		{name: "order total above max", given: []es.Payload{placed(item("p-1", 1, order.MaxAmount, 0))}, when: add(addCmd("p-2", 1, 1, nil)), code: es.Rejected, rule: order.RuleAmountOverflow, field: "unitPrice.amount"},
		{name: "order total at max", given: []es.Payload{placed(item("p-1", 1, order.MaxAmount-1, 0))}, when: add(addCmd("p-2", 1, 1, nil)), then: []es.Payload{added("p-2", 1, 1, 0)}},
		{name: "a new product beyond max items", given: []es.Payload{placed(itemsOf(order.MaxItems)...)}, when: add(addCmd("p-new", 1, 100, nil)), code: es.Rejected, rule: order.RuleTooManyItems, field: "productId"},
		{name: "an existing product at max items merges", given: []es.Payload{placed(itemsOf(order.MaxItems)...)}, when: add(addCmd(productID(0), 1, 100, nil)), then: []es.Payload{added(productID(0), 1, 100, 0)}},
		{name: "product id required", given: []es.Payload{placed()}, when: add(addCmd("", 1, 100, nil)), code: es.Invalid, rule: order.RuleRequired, field: "productId"},
		{name: "command for another order id", given: []es.Payload{placed()}, when: add(order.AddItem{OrderID: "o-2", ItemInput: input("p-1", 1, 1, nil)}), code: es.Invalid, rule: order.RuleIDMismatch, field: "orderId"},
		{name: "order not placed", when: add(addCmd("p-1", 1, 100, nil)), code: es.NotFound, rule: order.RuleNotFound},
		{name: "after payment", given: []es.Payload{placed(item("p-1", 1, 100, 0)), paid(100)}, when: add(addCmd("p-2", 1, 100, nil)), code: es.Rejected, rule: order.RuleAlreadyPaid},
		{name: "after shipping", given: []es.Payload{placed(item("p-1", 1, 100, 0)), paid(100), shipped()}, when: add(addCmd("p-2", 1, 100, nil)), code: es.Rejected, rule: order.RuleAlreadyShipped},
		{name: "after cancel", given: []es.Payload{placed(), cancelled(nil)}, when: add(addCmd("p-2", 1, 100, nil)), code: es.Rejected, rule: order.RuleAlreadyCancelled},
	})
}
