package order_test

import (
	"encoding/json"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// checkValidationError fails unless err is nil or consists only of Invalid
// *es.Error values that name a field and a rule, which is what the HTTP layer
// relies on to report them.
func checkValidationError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	all := es.AllErrors(err)
	if len(all) == 0 {
		t.Fatalf("validation error without *es.Error: %v", err)
	}
	for _, e := range all {
		if e.Code != es.Invalid || e.Field == "" || e.Rule == "" {
			t.Fatalf("validation error %#v lacks code, field or rule", e)
		}
	}
}

// checkDomainError fails unless err is nil or a domain error a client can act on.
func checkDomainError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if code := es.ErrorCode(err); code == es.Internal || es.ErrorRule(err) == "" {
		t.Fatalf("not a domain error: %v (code %q)", err, code)
	}
}

func FuzzPlaceOrder(f *testing.F) {
	f.Add("o-1", "b-1", "EUR", "Main St 1", "Berlin", "10115", "DE", "p-1", "Widget", 2, int64(1000), int64(300), true)
	f.Add("", "", "", "", "", "", "", "", "", 0, int64(0), int64(0), false)
	f.Add("o/1", "b 1", "eur", "a\x00b", "\xff", "1#", "Germany", "p 1", "n", -1, int64(-1), int64(-1), true)
	f.Add("o-1", "b-1", "JPY", "x", "y", "z", "JP", "p", "n", order.MaxQuantity, order.MaxAmount, order.MaxAmount, true)
	f.Fuzz(func(t *testing.T, orderID, buyerID, currency, street, city, postal, country, productID, name string, qty int, price, discount int64, hasDiscount bool) {
		it := order.ItemInput{ProductID: productID, Name: name, Quantity: qty, UnitPrice: order.Money{Amount: price, Currency: currency}}
		if hasDiscount {
			it.Discount = &order.Money{Amount: discount, Currency: currency}
		}
		c := order.PlaceOrder{
			OrderID: orderID, BuyerID: buyerID, Currency: currency,
			ShippingAddress: order.Address{Street: street, City: city, PostalCode: postal, Country: country},
			Items:           []order.ItemInput{it},
		}
		verr := c.Validate()
		checkValidationError(t, verr)

		o := order.New(orderID)
		err := o.Place(c, t0)
		if (verr == nil) != (err == nil) {
			t.Fatalf("Validate = %v but Place = %v", verr, err)
		}
		if err != nil {
			return
		}
		checkInvariants(t, o.State())
		o.MarkCommitted()
		// The same item again either merges or is refused with a domain error.
		checkDomainError(t, o.AddItem(order.AddItem{OrderID: orderID, ItemInput: it}))
		checkInvariants(t, o.State())
		checkDomainError(t, o.Pay(order.PayOrder{OrderID: orderID, PaymentReference: "r", Amount: o.Total()}, t0))
		checkInvariants(t, o.State())
	})
}

// FuzzCommandJSON feeds arbitrary request bodies, decoded the way an HTTP
// handler would, to every command's validation and to an order in each status.
func FuzzCommandJSON(f *testing.F) {
	f.Add([]byte(`{"orderId":"o-1","buyerId":"b-1","currency":"EUR","shippingAddress":{"street":"s","city":"c","postalCode":"1","country":"DE"},"items":[{"productId":"p-1","name":"n","quantity":1,"unitPrice":{"amount":5,"currency":"EUR"}}]}`))
	f.Add([]byte(`{"orderId":"o-1","productId":"p-1","name":"n","quantity":3,"unitPrice":{"amount":1000,"currency":"EUR"},"discount":{"amount":300,"currency":"EUR"}}`))
	f.Add([]byte(`{"orderId":"o-1","paymentReference":"r","amount":{"amount":1700,"currency":"EUR"},"carrier":"c","trackingNumber":"t","reason":"r"}`))
	f.Add([]byte(`{"quantity":-9223372036854775808,"unitPrice":{"amount":9223372036854775807}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		histories := [][]es.Payload{
			nil,
			{placed(item("p-1", 2, 1000, 300))},
			{placed(item("p-1", 2, 1000, 300)), paid(1700)},
			{placed(item("p-1", 2, 1000, 300)), paid(1700), shipped()},
			{placed(), cancelled(nil)},
		}
		for _, h := range histories {
			o := given(t, h...)
			var place order.PlaceOrder
			if json.Unmarshal(body, &place) == nil {
				checkValidationError(t, place.Validate())
				checkDomainError(t, o.Place(place, t0))
			}
			var add order.AddItem
			if json.Unmarshal(body, &add) == nil {
				checkValidationError(t, add.Validate())
				checkDomainError(t, o.AddItem(add))
			}
			var remove order.RemoveItem
			if json.Unmarshal(body, &remove) == nil {
				checkValidationError(t, remove.Validate())
				checkDomainError(t, o.RemoveItem(remove))
			}
			var pay order.PayOrder
			if json.Unmarshal(body, &pay) == nil {
				checkValidationError(t, pay.Validate())
				checkDomainError(t, o.Pay(pay, t0))
			}
			var ship order.ShipOrder
			if json.Unmarshal(body, &ship) == nil {
				checkValidationError(t, ship.Validate())
				checkDomainError(t, o.Ship(ship, t0))
			}
			var cancel order.CancelOrder
			if json.Unmarshal(body, &cancel) == nil {
				checkValidationError(t, cancel.Validate())
				checkDomainError(t, o.Cancel(cancel, t0))
			}
			if o.Exists() {
				checkInvariants(t, o.State())
			}
		}
	})
}
