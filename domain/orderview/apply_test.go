package orderview_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderview"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// stored returns v as it reads back from the views container.
func stored(t *testing.T, v orderview.View) *orderview.View {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back orderview.View
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return &back
}

// TestApplyEqualsTheFold checks, for random command sequences, that the view
// built from scratch, one event at a time and in random batches (stored as
// JSON in between, as the projector does) are the same view, and that it is
// the view of the aggregate's own state after replaying the stream.
func TestApplyEqualsTheFold(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	g := ordertest.New(20260301)
	statuses := map[orderview.Status]int{}
	for seq := range 1500 {
		orderID := fmt.Sprintf("o-%d", seq)
		o, events := g.History(t, reg, orderID, 1+g.Rand().IntN(30), t0)
		if len(events) == 0 {
			continue
		}
		want, err := orderview.FromState(o.State(), o.Version(), events[len(events)-1].OccurredAt)
		if err != nil {
			t.Fatal(err)
		}
		statuses[want.Status]++
		scratch, err := orderview.Apply(nil, events)
		if err != nil {
			t.Fatalf("%s from scratch: %v", orderID, err)
		}
		var oneByOne, batched *orderview.View
		for i := range events {
			v, err := orderview.Apply(oneByOne, events[i:i+1])
			if err != nil {
				t.Fatalf("%s event %d: %v", orderID, i+1, err)
			}
			oneByOne = stored(t, v)
		}
		for i := 0; i < len(events); {
			n := 1 + g.Rand().IntN(len(events)-i)
			v, err := orderview.Apply(batched, events[i:i+n])
			if err != nil {
				t.Fatalf("%s events %d..%d: %v", orderID, i+1, i+n, err)
			}
			batched, i = stored(t, v), i+n
		}
		for name, got := range map[string]orderview.View{"scratch": scratch, "one by one": *oneByOne, "batched": *batched} {
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %s:\n got %+v\nwant %+v", orderID, name, got, want)
			}
		}
		back, err := stored(t, want).State()
		if err != nil || !reflect.DeepEqual(back, o.State()) {
			t.Fatalf("%s: state from the view differs (%v):\n got %+v\nwant %+v", orderID, err, back, o.State())
		}
	}
	for _, s := range []orderview.Status{orderview.Submitted, orderview.Paid, orderview.Shipped, orderview.Cancelled} {
		if statuses[s] < 50 {
			t.Errorf("status %s reached only %d times: %v", s, statuses[s], statuses)
		}
	}
}

func TestApplyRefuses(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	_, events := ordertest.New(5).History(t, reg, "o-1", 40, t0)
	if len(events) < 4 {
		t.Fatalf("only %d events", len(events))
	}
	v2, err := orderview.Apply(nil, events[:2])
	if err != nil {
		t.Fatal(err)
	}
	removeUnknown := events[2]
	removeUnknown.Type, removeUnknown.Payload = order.EventItemRemoved, order.ItemRemoved{OrderID: "o-1", ProductID: "nope"}
	tests := []struct {
		name      string
		view      *orderview.View
		events    []es.Envelope
		gap       bool
		foldIndex int // -1: no FoldError
		wantView  orderview.View
	}{
		{name: "gap after the view", view: &v2, events: events[3:4], gap: true, foldIndex: -1},
		{name: "no view, not from version 1", events: events[1:3], gap: true, foldIndex: -1},
		{name: "other stream", view: &v2, events: []es.Envelope{withStream(events[2], "order-o-2")}, gap: true, foldIndex: -1},
		{name: "not an order stream", events: []es.Envelope{withStream(events[0], "cart-1")}, gap: true, foldIndex: -1},
		{name: "event breaks the order", view: &v2, events: []es.Envelope{removeUnknown, events[3]}, foldIndex: 0, wantView: v2},
		{name: "second event breaks the order", events: []es.Envelope{events[0], events[1], removeUnknown}, foldIndex: 2, wantView: v2},
		{name: "first event is not a placement", events: []es.Envelope{withVersion(removeUnknown, 1)}, foldIndex: 0},
		{name: "stored view unusable", view: &orderview.View{ID: "o-1", OrderID: "o-1", Status: "lost", Version: 2}, events: events[2:3], foldIndex: 0,
			wantView: orderview.View{ID: "o-1", OrderID: "o-1", Status: "lost", Version: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := orderview.Apply(tc.view, tc.events)
			if tc.gap != errors.Is(err, orderview.ErrNotContiguous) {
				t.Fatalf("err = %v, gap %v", err, tc.gap)
			}
			var fe *orderview.FoldError
			if errors.As(err, &fe) != (tc.foldIndex >= 0) {
				t.Fatalf("err = %v, want a FoldError: %v", err, tc.foldIndex >= 0)
			}
			if fe != nil && (fe.Index != tc.foldIndex || fe.Event.Version != tc.events[tc.foldIndex].Version) {
				t.Fatalf("fold error at %d (v%d), want %d", fe.Index, fe.Event.Version, tc.foldIndex)
			}
			if fe != nil && !reflect.DeepEqual(got, tc.wantView) {
				t.Fatalf("view before the refused event = %+v, want %+v", got, tc.wantView)
			}
		})
	}
}

func withStream(e es.Envelope, stream string) es.Envelope { e.StreamID = stream; return e }
func withVersion(e es.Envelope, v int64) es.Envelope      { e.Version = v; return e }

// TestViewDocument pins the JSON shape the query API serves.
func TestViewDocument(t *testing.T) {
	t.Parallel()
	o := order.New("o-7")
	at := t0
	mustDo(t, o.Place(order.PlaceOrder{OrderID: "o-7", BuyerID: "b-1", Currency: "EUR",
		ShippingAddress: order.Address{Street: "1 Main St", City: "Oslo", PostalCode: "0150", Country: "NO"},
		Items: []order.ItemInput{{ProductID: "p-1", Name: "Pen", Quantity: 2, UnitPrice: order.Money{Amount: 150, Currency: "EUR"},
			Discount: &order.Money{Amount: 20, Currency: "EUR"}}}}, at))
	mustDo(t, o.Pay(order.PayOrder{OrderID: "o-7", PaymentReference: "psp-1", Amount: order.Money{Amount: 280, Currency: "EUR"}}, at.Add(time.Minute)))
	mustDo(t, o.Cancel(order.CancelOrder{OrderID: "o-7", Reason: "too late"}, at.Add(2*time.Minute)))
	o.MarkCommitted()
	v, err := orderview.FromState(o.State(), o.Version(), at.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	want := `{"id":"o-7","orderId":"o-7","status":"cancelled","buyerId":"b-1","currency":"EUR",` +
		`"shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},` +
		`"items":[{"productId":"p-1","name":"Pen","quantity":2,"unitPrice":150,"discount":20,"lineTotal":280}],` +
		`"total":280,"refundDue":280,"paymentReference":"psp-1","cancelReason":"too late",` +
		`"placedAt":"2026-03-01T12:00:00Z","paidAt":"2026-03-01T12:01:00Z","cancelledAt":"2026-03-01T12:02:00Z",` +
		`"updatedAt":"2026-03-01T12:02:00Z","version":3}`
	if string(got) != want {
		t.Fatalf("document\n got %s\nwant %s", got, want)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
