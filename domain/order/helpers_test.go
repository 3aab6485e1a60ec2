package order_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

const (
	oid   = "o-1"
	buyer = "b-1"
)

var (
	t0   = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	addr = order.Address{Street: "Hauptstraße 1", City: "Berlin", PostalCode: "10115", Country: "DE"}
)

func eur(n int64) order.Money     { return order.Money{Amount: n, Currency: "EUR"} }
func eurPtr(n int64) *order.Money { m := eur(n); return &m }

func item(pid string, qty int, price, discount int64) order.Item {
	return order.Item{ProductID: pid, Name: "Product " + pid, Quantity: qty, UnitPrice: eur(price), Discount: eur(discount)}
}

func input(pid string, qty int, price int64, discount *order.Money) order.ItemInput {
	return order.ItemInput{ProductID: pid, Name: "Product " + pid, Quantity: qty, UnitPrice: eur(price), Discount: discount}
}

func placed(items ...order.Item) order.OrderPlaced {
	if items == nil {
		items = []order.Item{}
	}
	return order.OrderPlaced{OrderID: oid, BuyerID: buyer, Currency: "EUR", ShippingAddress: addr, Items: items, PlacedAt: t0}
}

func added(pid string, qty int, price, discount int64) order.ItemAdded {
	it := item(pid, qty, price, discount)
	return order.ItemAdded{OrderID: oid, ProductID: pid, Name: it.Name, Quantity: qty, UnitPrice: it.UnitPrice, Discount: it.Discount}
}

func removed(pid string) order.ItemRemoved { return order.ItemRemoved{OrderID: oid, ProductID: pid} }

func paid(amount int64) order.OrderPaid {
	return order.OrderPaid{OrderID: oid, PaymentReference: "pay-1", Amount: eur(amount), PaidAt: t0}
}

func shipped() order.OrderShipped {
	return order.OrderShipped{OrderID: oid, Carrier: "DHL", TrackingNumber: "TRACK-1", ShippedAt: t0}
}

func cancelled(refund *order.Money) order.OrderCancelled {
	return order.OrderCancelled{OrderID: oid, Reason: "changed my mind", RefundDue: refund, CancelledAt: t0}
}

func placeCmd(items ...order.ItemInput) order.PlaceOrder {
	return order.PlaceOrder{OrderID: oid, BuyerID: buyer, Currency: "EUR", ShippingAddress: addr, Items: items}
}

func addCmd(pid string, qty int, price int64, discount *order.Money) order.AddItem {
	return order.AddItem{OrderID: oid, ItemInput: input(pid, qty, price, discount)}
}

func payCmd(amount int64) order.PayOrder {
	return order.PayOrder{OrderID: oid, PaymentReference: "pay-1", Amount: eur(amount)}
}

func shipCmd() order.ShipOrder {
	return order.ShipOrder{OrderID: oid, Carrier: "DHL", TrackingNumber: "TRACK-1"}
}

func cancelCmd() order.CancelOrder {
	return order.CancelOrder{OrderID: oid, Reason: "changed my mind"}
}

// history wraps payloads as a stored stream of order oid.
func history(payloads ...es.Payload) []es.Envelope {
	out := make([]es.Envelope, len(payloads))
	for i, p := range payloads {
		out[i] = es.Envelope{Type: p.EventType(), Payload: p, Metadata: es.Metadata{StreamID: order.StreamID(oid), Version: int64(i + 1)}}
	}
	return out
}

// given loads order oid from the events.
func given(t *testing.T, payloads ...es.Payload) *order.Order {
	t.Helper()
	o, err := order.Load(oid, history(payloads...))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return o
}

// scenario is one "given events, when command, then events or error" case.
type scenario struct {
	name  string
	given []es.Payload
	when  func(o *order.Order) error
	// then are the expected events when the command succeeds.
	then []es.Payload
	// code, rule and field are the expected error when code is set.
	code        es.Code
	rule, field string
	// check, when set, inspects the order after the command.
	check func(t *testing.T, o *order.Order)
}

func run(t *testing.T, cases []scenario) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := given(t, tc.given...)
			before := o.State()
			err := tc.when(o)
			if tc.code != "" {
				expectError(t, err, tc.code, tc.rule, tc.field)
				if len(o.Pending()) != 0 {
					t.Errorf("rejected command recorded %d events", len(o.Pending()))
				}
				if !reflect.DeepEqual(o.State(), before) {
					t.Errorf("rejected command changed the state:\n got %+v\nwant %+v", o.State(), before)
				}
			} else {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got, want := eventsJSON(t, o.Pending()), eventsJSON(t, tc.then); got != want {
					t.Errorf("events:\n got %s\nwant %s", got, want)
				}
				if o.Version() != int64(len(tc.given)+len(tc.then)) {
					t.Errorf("version = %d, want %d", o.Version(), len(tc.given)+len(tc.then))
				}
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

func expectError(t *testing.T, err error, code es.Code, rule, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s %s %s", code, rule, field)
	}
	if got := es.ErrorCode(err); got != code {
		t.Errorf("code = %q, want %q (err: %v)", got, code, err)
	}
	if got := es.ErrorRule(err); got != rule {
		t.Errorf("rule = %q, want %q (err: %v)", got, rule, err)
	}
	var gotField string
	if all := es.AllErrors(err); len(all) > 0 {
		gotField = all[0].Field
	}
	if gotField != field {
		t.Errorf("field = %q, want %q (err: %v)", gotField, field, err)
	}
	if es.ErrorMessage(err) == "" {
		t.Errorf("empty message for %v", err)
	}
}

// eventsJSON renders events as type and JSON, which shows differences better
// than %v and treats nil and empty slices alike, as the stored form does.
func eventsJSON(t *testing.T, ps []es.Payload) string {
	t.Helper()
	type typed struct {
		Type string     `json:"type"`
		Data es.Payload `json:"data"`
	}
	out := make([]typed, len(ps))
	for i, p := range ps {
		out[i] = typed{p.EventType(), p}
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itemsOf(n int) []order.Item {
	items := make([]order.Item, n)
	for i := range items {
		items[i] = item(productID(i), 1, 100, 0)
	}
	return items
}

func inputsOf(n int) []order.ItemInput {
	items := make([]order.ItemInput, n)
	for i := range items {
		items[i] = input(productID(i), 1, 100, nil)
	}
	return items
}

func productID(i int) string { return "p-" + string(rune('a'+i/26%26)) + string(rune('a'+i%26)) }
