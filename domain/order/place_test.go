package order_test

import (
	"strings"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestPlace(t *testing.T) {
	t.Parallel()
	place := func(c order.PlaceOrder) func(*order.Order) error {
		return func(o *order.Order) error { return o.Place(c, t0) }
	}
	with := func(mutate func(*order.PlaceOrder)) func(*order.Order) error {
		c := placeCmd(input("p-1", 2, 1000, eurPtr(300)), input("p-2", 1, 500, nil))
		mutate(&c)
		return place(c)
	}
	run(t, []scenario{
		{
			name: "places an order without items",
			when: place(placeCmd()),
			then: []es.Payload{placed()},
			check: func(t *testing.T, o *order.Order) {
				if o.Status() != order.StatusSubmitted || o.Total() != eur(0) || !o.Exists() {
					t.Errorf("status %q total %v exists %v", o.Status(), o.Total(), o.Exists())
				}
			},
		},
		{
			name: "initial items are part of the placed event with explicit discounts",
			when: place(placeCmd(input("p-1", 2, 1000, eurPtr(300)), input("p-2", 1, 500, nil))),
			then: []es.Payload{placed(item("p-1", 2, 1000, 300), item("p-2", 1, 500, 0))},
			check: func(t *testing.T, o *order.Order) {
				if o.Total() != eur(2200) {
					t.Errorf("total = %v, want 2200 EUR", o.Total())
				}
			},
		},
		{
			name: "limits themselves are allowed",
			when: with(func(c *order.PlaceOrder) {
				c.OrderID = oid
				c.ShippingAddress.Street = strings.Repeat("ß", order.MaxStreetLength)
				c.Items = inputsOf(order.MaxItems)
				c.Items[0].Quantity = order.MaxQuantity
				c.Items[1].Discount = eurPtr(100) // equal to the line total
			}),
			check: func(t *testing.T, o *order.Order) {
				if len(o.Items()) != order.MaxItems || o.Items()[1].LineTotal() != eur(0) {
					t.Errorf("items = %d, line 1 total %v", len(o.Items()), o.Items()[1].LineTotal())
				}
			},
			then: func() []es.Payload {
				items := itemsOf(order.MaxItems)
				items[0].Quantity = order.MaxQuantity
				items[1].Discount = eur(100)
				p := placed(items...)
				p.ShippingAddress.Street = strings.Repeat("ß", order.MaxStreetLength)
				return []es.Payload{p}
			}(),
		},
		{name: "placing an existing order is a conflict", given: []es.Payload{placed()}, when: place(placeCmd()), code: es.Conflict, rule: order.RuleAlreadyPlaced},
		{name: "placing a cancelled order again is a conflict", given: []es.Payload{placed(), cancelled(nil)}, when: place(placeCmd()), code: es.Conflict, rule: order.RuleAlreadyPlaced},
		{name: "command for another order id", when: with(func(c *order.PlaceOrder) { c.OrderID = "o-2" }), code: es.Invalid, rule: order.RuleIDMismatch, field: "orderId"},

		{name: "orderId required", when: with(func(c *order.PlaceOrder) { c.OrderID = "" }), code: es.Invalid, rule: order.RuleRequired, field: "orderId"},
		{name: "orderId charset", when: with(func(c *order.PlaceOrder) { c.OrderID = "a/b" }), code: es.Invalid, rule: order.RuleFormat, field: "orderId"},
		{name: "orderId too long", when: with(func(c *order.PlaceOrder) { c.OrderID = strings.Repeat("a", order.MaxIDLength+1) }), code: es.Invalid, rule: order.RuleTooLong, field: "orderId"},
		{name: "buyerId required", when: with(func(c *order.PlaceOrder) { c.BuyerID = "" }), code: es.Invalid, rule: order.RuleRequired, field: "buyerId"},
		{name: "currency required", when: with(func(c *order.PlaceOrder) { c.Currency = ""; c.Items = nil }), code: es.Invalid, rule: order.RuleRequired, field: "currency"},
		{name: "currency lower case", when: with(func(c *order.PlaceOrder) { c.Currency = "eur"; c.Items = nil }), code: es.Invalid, rule: order.RuleFormat, field: "currency"},
		{name: "currency four letters", when: with(func(c *order.PlaceOrder) { c.Currency = "EURO"; c.Items = nil }), code: es.Invalid, rule: order.RuleFormat, field: "currency"},
		{name: "street blank", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.Street = "  " }), code: es.Invalid, rule: order.RuleRequired, field: "shippingAddress.street"},
		{name: "street too long", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.Street = strings.Repeat("x", order.MaxStreetLength+1) }), code: es.Invalid, rule: order.RuleTooLong, field: "shippingAddress.street"},
		{name: "street control character", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.Street = "a\nb" }), code: es.Invalid, rule: order.RuleFormat, field: "shippingAddress.street"},
		{name: "street invalid utf-8", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.Street = "a\xffb" }), code: es.Invalid, rule: order.RuleFormat, field: "shippingAddress.street"},
		{name: "city required", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.City = "" }), code: es.Invalid, rule: order.RuleRequired, field: "shippingAddress.city"},
		{name: "postal code required", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.PostalCode = "" }), code: es.Invalid, rule: order.RuleRequired, field: "shippingAddress.postalCode"},
		{name: "postal code characters", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.PostalCode = "10#15" }), code: es.Invalid, rule: order.RuleFormat, field: "shippingAddress.postalCode"},
		{name: "postal code too long", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.PostalCode = "123456789-1234567" }), code: es.Invalid, rule: order.RuleTooLong, field: "shippingAddress.postalCode"},
		{name: "country required", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.Country = "" }), code: es.Invalid, rule: order.RuleRequired, field: "shippingAddress.country"},
		{name: "country lower case", when: with(func(c *order.PlaceOrder) { c.ShippingAddress.Country = "de" }), code: es.Invalid, rule: order.RuleFormat, field: "shippingAddress.country"},
		{name: "item product id required", when: with(func(c *order.PlaceOrder) { c.Items[1].ProductID = "" }), code: es.Invalid, rule: order.RuleRequired, field: "items[1].productId"},
		{name: "item name required", when: with(func(c *order.PlaceOrder) { c.Items[0].Name = "" }), code: es.Invalid, rule: order.RuleRequired, field: "items[0].name"},
		{name: "item name too long", when: with(func(c *order.PlaceOrder) { c.Items[0].Name = strings.Repeat("n", order.MaxNameLength+1) }), code: es.Invalid, rule: order.RuleTooLong, field: "items[0].name"},
		{name: "item quantity zero", when: with(func(c *order.PlaceOrder) { c.Items[1].Quantity = 0 }), code: es.Invalid, rule: order.RuleQuantityRange, field: "items[1].quantity"},
		{name: "item quantity above max", when: with(func(c *order.PlaceOrder) { c.Items[1].Quantity = order.MaxQuantity + 1 }), code: es.Invalid, rule: order.RuleQuantityRange, field: "items[1].quantity"},
		{name: "item negative price", when: with(func(c *order.PlaceOrder) { c.Items[1].UnitPrice.Amount = -1 }), code: es.Invalid, rule: order.RuleAmountRange, field: "items[1].unitPrice.amount"},
		{name: "item price above max", when: with(func(c *order.PlaceOrder) { c.Items[1].UnitPrice.Amount = order.MaxAmount + 1 }), code: es.Invalid, rule: order.RuleAmountRange, field: "items[1].unitPrice.amount"},
		{name: "item price in another currency", when: with(func(c *order.PlaceOrder) { c.Items[1].UnitPrice.Currency = "USD" }), code: es.Invalid, rule: order.RuleCurrencyMismatch, field: "items[1].unitPrice.currency"},
		{name: "item discount in another currency", when: with(func(c *order.PlaceOrder) { c.Items[0].Discount.Currency = "USD" }), code: es.Invalid, rule: order.RuleCurrencyMismatch, field: "items[0].discount.currency"},
		{name: "item negative discount", when: with(func(c *order.PlaceOrder) { c.Items[0].Discount = eurPtr(-1) }), code: es.Invalid, rule: order.RuleAmountRange, field: "items[0].discount.amount"},
		{name: "item discount above line total", when: with(func(c *order.PlaceOrder) { c.Items[0].Discount = eurPtr(2001) }), code: es.Invalid, rule: order.RuleDiscountExceedsLine, field: "items[0].discount.amount"},
		{name: "duplicate product", when: with(func(c *order.PlaceOrder) { c.Items[1].ProductID = "p-1" }), code: es.Invalid, rule: order.RuleDuplicateItem, field: "items[1].productId"},
		{name: "too many items", when: with(func(c *order.PlaceOrder) { c.Items = inputsOf(order.MaxItems + 1) }), code: es.Invalid, rule: order.RuleTooManyItems, field: "items"},
		{name: "line total above max", when: with(func(c *order.PlaceOrder) { c.Items[1].UnitPrice.Amount = order.MaxAmount; c.Items[1].Quantity = 2 }), code: es.Invalid, rule: order.RuleAmountOverflow, field: "items[1].unitPrice.amount"},
		{name: "line total overflows int64", when: with(func(c *order.PlaceOrder) {
			c.Items[1].UnitPrice.Amount = order.MaxAmount
			c.Items[1].Quantity = order.MaxQuantity
		}), code: es.Invalid, rule: order.RuleAmountOverflow, field: "items[1].unitPrice.amount"},
		{name: "order total above max", when: with(func(c *order.PlaceOrder) {
			c.Items[0].UnitPrice.Amount, c.Items[0].Quantity, c.Items[0].Discount = order.MaxAmount, 1, nil
			c.Items[1].UnitPrice.Amount = 1
		}), code: es.Invalid, rule: order.RuleAmountOverflow, field: "items"},
	})
}

func TestPlaceOrderValidateReportsAllProblems(t *testing.T) {
	t.Parallel()
	c := order.PlaceOrder{
		OrderID:  "",
		BuyerID:  "b 1",
		Currency: "EUR",
		ShippingAddress: order.Address{
			Street: "Main St 1", City: "", PostalCode: "1", Country: "Germany",
		},
		Items: []order.ItemInput{
			input("p-1", 1, 100, nil),
			{ProductID: "p-2", Name: "x", Quantity: 0, UnitPrice: order.Money{Amount: -5, Currency: "EUR"}},
			input("p-1", 1, 100, nil),
		},
	}
	err := c.Validate()
	var fields []string
	for _, e := range es.AllErrors(err) {
		if e.Code != es.Invalid {
			t.Errorf("%v: code %q, want invalid", e, e.Code)
		}
		fields = append(fields, e.Field)
	}
	want := []string{"orderId", "buyerId", "shippingAddress.city", "shippingAddress.country", "items[1].quantity", "items[1].unitPrice.amount", "items[2].productId"}
	if strings.Join(fields, ",") != strings.Join(want, ",") {
		t.Fatalf("fields = %v\nwant     %v", fields, want)
	}
	if es.ErrorCode(err) != es.Invalid {
		t.Fatalf("code = %q", es.ErrorCode(err))
	}
}
