package order_test

import (
	"strings"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// TestIDAlphabet holds every command to one id rule: 1 to MaxIDLength of
// letters, digits and - _ . :, not made only of dots ("." and ".." are path
// segments that URL normalisation removes, so such an order could not be
// addressed by an ordinary client).
func TestIDAlphabet(t *testing.T) {
	t.Parallel()
	validators := map[string]func(id string) error{
		"PlaceOrder.orderId": func(id string) error {
			return order.PlaceOrder{OrderID: id, BuyerID: buyer, Currency: "EUR", ShippingAddress: addr}.Validate()
		},
		"PlaceOrder.buyerId": func(id string) error {
			return order.PlaceOrder{OrderID: oid, BuyerID: id, Currency: "EUR", ShippingAddress: addr}.Validate()
		},
		"AddItem.orderId": func(id string) error {
			return order.AddItem{OrderID: id, ItemInput: input("p-1", 1, 1, nil)}.Validate()
		},
		"AddItem.productId": func(id string) error {
			return order.AddItem{OrderID: oid, ItemInput: input(id, 1, 1, nil)}.Validate()
		},
		"RemoveItem.orderId":   func(id string) error { return order.RemoveItem{OrderID: id, ProductID: "p-1"}.Validate() },
		"RemoveItem.productId": func(id string) error { return order.RemoveItem{OrderID: oid, ProductID: id}.Validate() },
		"PayOrder.orderId": func(id string) error {
			return order.PayOrder{OrderID: id, PaymentReference: "r", Amount: eur(1)}.Validate()
		},
		"ShipOrder.orderId": func(id string) error {
			return order.ShipOrder{OrderID: id, Carrier: "c", TrackingNumber: "t"}.Validate()
		},
		"CancelOrder.orderId": func(id string) error { return order.CancelOrder{OrderID: id, Reason: "r"}.Validate() },
	}
	tests := []struct {
		id   string
		rule string // "" when valid
	}{
		{"o-1", ""},
		{"a.b", ""},
		{".a", ""},
		{"a..", ""},
		{"A_Z:0-9.", ""},
		{strings.Repeat("x", order.MaxIDLength), ""},
		{"", order.RuleRequired},
		{".", order.RuleFormat},
		{"..", order.RuleFormat},
		{"...", order.RuleFormat},
		{strings.Repeat(".", order.MaxIDLength), order.RuleFormat},
		{"a/b", order.RuleFormat},
		{"a b", order.RuleFormat},
		{"%2e", order.RuleFormat},
		{"é", order.RuleFormat},
		{strings.Repeat("x", order.MaxIDLength+1), order.RuleTooLong},
	}
	for name, validate := range validators {
		field := name[strings.Index(name, ".")+1:]
		for _, tc := range tests {
			err := validate(tc.id)
			if tc.rule == "" {
				if err != nil {
					t.Errorf("%s %q: %v", name, tc.id, err)
				}
				continue
			}
			errs := es.AllErrors(err)
			if len(errs) != 1 || errs[0].Rule != tc.rule || errs[0].Field != field || errs[0].Code != es.Invalid {
				t.Errorf("%s %q: errors %v, want one %s on %s", name, tc.id, errs, tc.rule, field)
			}
		}
	}
}
