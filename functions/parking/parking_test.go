package parking_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/functions"
	"orderctx/functions/parking"
	"orderctx/infra/deadletters/memory"
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// doc returns the event document of order orderID at version v, as the change
// feed delivers it (system properties included). Version 1 is a placement,
// later versions are item additions.
func doc(t testing.TB, reg *es.Registry, orderID string, v int64) json.RawMessage {
	t.Helper()
	var p es.Payload = order.ItemAdded{OrderID: orderID, ProductID: fmt.Sprintf("p-%d", v), Name: "x", Quantity: 1,
		UnitPrice: order.Money{Amount: 100, Currency: "EUR"}, Discount: order.Money{Currency: "EUR"}}
	if v == 1 {
		p = order.OrderPlaced{OrderID: orderID, BuyerID: "b", Currency: "EUR", Items: []order.Item{}, PlacedAt: t0}
	}
	envs, err := reg.Stamp(order.StreamID(orderID), v-1, []es.Payload{p}, es.Causation{}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := reg.EncodeEnvelope(envs[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(struct {
		ID string `json:"id"`
		es.EncodedEvent
		TS int64 `json:"_ts"`
	}{fmt.Sprintf("%s:%d", envs[0].StreamID, v), enc, 1775030400})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// recorder is a Handler that records what it is given and reports as poison
// the events poisonous says.
type recorder struct {
	calls     [][]string
	poisonous func(es.Envelope) bool
	fail      error
}

func (r *recorder) HandleEvents(_ context.Context, events []es.Envelope) (functions.Result, error) {
	var call []string
	var errs []error
	for _, e := range events {
		call = append(call, fmt.Sprintf("%s@%d", e.StreamID, e.Version))
		if r.poisonous != nil && r.poisonous(e) {
			errs = append(errs, parking.Poison(e, fmt.Errorf("the fold refuses %s", e.Type)))
		}
	}
	r.calls = append(r.calls, call)
	if r.fail != nil {
		errs = append(errs, r.fail)
	}
	if err := errors.Join(errs...); err != nil {
		return functions.Result{}, fmt.Errorf("handle: %w", err)
	}
	return functions.Result{Logs: []string{fmt.Sprintf("handled %d", len(events))}}, nil
}

func newConsumer(t *testing.T, reg *es.Registry, store parking.Store, h parking.Handler) *parking.Consumer {
	t.Helper()
	c, err := parking.New(parking.Config{Consumer: "projector", Registry: reg, Store: store, Handler: h, Clock: es.NewFixedClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func letters(t *testing.T, s *memory.Store) []string {
	t.Helper()
	ls, err := s.List(context.Background(), "projector")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%s behind=%d", l.ID, l.Behind))
	}
	return out
}

func TestHandlePassesEveryEventInFeedOrder(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	store := &memory.Store{}
	h := &recorder{}
	c := newConsumer(t, reg, store, h)
	res, err := c.Handle(context.Background(), []json.RawMessage{doc(t, reg, "a", 1), doc(t, reg, "b", 1), doc(t, reg, "a", 2)})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"order-a@1", "order-b@1", "order-a@2"}}; !reflect.DeepEqual(h.calls, want) {
		t.Fatalf("calls = %v, want %v", h.calls, want)
	}
	if !reflect.DeepEqual(res.Logs, []string{"handled 3"}) || c.Parked() != 0 || store.HeadsCalls() != 1 {
		t.Fatalf("logs %v, parked %d, heads calls %d", res.Logs, c.Parked(), store.HeadsCalls())
	}
}

// TestPoisonParksTheStreamsTail covers each way an event can be poison: the
// event and the rest of its stream are parked, with the reason and the raw
// document; the events before it and every other stream are handled.
func TestPoisonParksTheStreamsTail(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	unknownType := strings.Replace(string(doc(t, reg, "a", 2)), `"type":"order.item_added"`, `"type":"order.gift_wrapped"`, 1)
	badData := strings.Replace(string(doc(t, reg, "a", 2)), `"quantity":1`, `"quantity":"one"`, 1)
	badTime := strings.Replace(string(doc(t, reg, "a", 2)), `"occurredAt":"2026-04-01T08:00:00Z"`, `"occurredAt":"yesterday"`, 1)
	tests := []struct {
		name      string
		a2        json.RawMessage
		poisonous func(es.Envelope) bool
		reason    string
		calls     int
	}{
		{name: "unknown type", a2: json.RawMessage(unknownType), reason: "unknown event type", calls: 1},
		{name: "payload does not decode", a2: json.RawMessage(badData), reason: "decode order.item_added", calls: 1},
		{name: "metadata does not decode", a2: json.RawMessage(badTime), reason: "not an event document", calls: 1},
		{name: "the handler refuses it", a2: doc(t, reg, "a", 2), reason: "the fold refuses order.item_added", calls: 2,
			poisonous: func(e es.Envelope) bool { return e.StreamID == "order-a" && e.Version == 2 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &memory.Store{}
			h := &recorder{poisonous: tc.poisonous}
			c := newConsumer(t, reg, store, h)
			batch := []json.RawMessage{doc(t, reg, "a", 1), doc(t, reg, "b", 1), tc.a2, doc(t, reg, "b", 2), doc(t, reg, "a", 3)}
			res, err := c.Handle(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			if last := h.calls[len(h.calls)-1]; len(h.calls) != tc.calls || !reflect.DeepEqual(last, []string{"order-a@1", "order-b@1", "order-b@2"}) {
				t.Fatalf("calls = %v", h.calls)
			}
			if got, want := letters(t, store), []string{"order-a:2 behind=0", "order-a:3 behind=2"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("letters = %v, want %v", got, want)
			}
			ls, _ := store.List(context.Background(), "projector")
			if !strings.Contains(ls[0].Reason, tc.reason) || string(ls[0].Document) != string(tc.a2) || ls[0].DocumentBytes != len(tc.a2) ||
				ls[0].StreamID != "order-a" || ls[0].Version != 2 || !ls[0].ParkedAt.Equal(t0) || ls[0].Consumer != "projector" {
				t.Fatalf("poison letter = %+v", ls[0])
			}
			if string(ls[1].Document) != string(batch[4]) || ls[1].EventID == "" {
				t.Fatalf("letter behind = %+v", ls[1])
			}
			if c.Parked() != 2 || len(res.Logs) != 2 || !strings.Contains(res.Logs[1], "parked 2 events of 1 streams (1 behind") {
				t.Fatalf("parked %d, logs %q", c.Parked(), res.Logs)
			}
		})
	}
}

// TestParkedStreamsStayParked: later batches, on this instance or another
// sharing the store, park the stream's events behind the parked one, while
// events before it (a re-delivery) are still handled and nothing is parked twice.
func TestParkedStreamsStayParked(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	store := &memory.Store{}
	first := newConsumer(t, reg, store, &recorder{poisonous: func(e es.Envelope) bool { return e.StreamID == "order-a" && e.Version == 2 }})
	if _, err := first.Handle(context.Background(), []json.RawMessage{doc(t, reg, "a", 1), doc(t, reg, "a", 2)}); err != nil {
		t.Fatal(err)
	}
	h := &recorder{}
	other := newConsumer(t, reg, store, h)
	batches := [][]json.RawMessage{
		{doc(t, reg, "a", 3), doc(t, reg, "b", 1), doc(t, reg, "a", 4)},
		{doc(t, reg, "a", 1), doc(t, reg, "a", 2), doc(t, reg, "a", 3), doc(t, reg, "b", 2)}, // re-delivery
	}
	for _, b := range batches {
		if _, err := other.Handle(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if want := [][]string{{"order-b@1"}, {"order-a@1", "order-b@2"}}; !reflect.DeepEqual(h.calls, want) {
		t.Fatalf("calls = %v, want %v", h.calls, want)
	}
	want := []string{"order-a:2 behind=0", "order-a:3 behind=2", "order-a:4 behind=2"}
	if got := letters(t, store); !reflect.DeepEqual(got, want) {
		t.Fatalf("letters = %v, want %v", got, want)
	}
	if first.Parked() != 1 || other.Parked() != 4 {
		t.Fatalf("parked: first %d, other %d (letters handed to the store, re-parks included)", first.Parked(), other.Parked())
	}
}

func TestTransientFailuresParkNothing(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	down := &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: "down"}
	poisonA2 := func(e es.Envelope) bool { return e.StreamID == "order-a" && e.Version == 2 }
	stranger := parking.HandlerFunc(func(context.Context, []es.Envelope) (functions.Result, error) {
		return functions.Result{}, &parking.PoisonError{StreamID: "order-z", Version: 9, Reason: "?"}
	})
	tests := []struct {
		name      string
		h         parking.Handler
		storeDown bool
	}{
		{name: "handler fails", h: &recorder{fail: down}},
		{name: "handler fails and reports poison", h: &recorder{fail: down, poisonous: poisonA2}},
		{name: "store down", h: &recorder{}, storeDown: true},
		{name: "handler names an event it was not given", h: stranger},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &memory.Store{}
			c := newConsumer(t, reg, store, tc.h)
			if tc.storeDown {
				store.SetFail(down)
			}
			_, err := c.Handle(context.Background(), []json.RawMessage{doc(t, reg, "a", 1), doc(t, reg, "a", 2)})
			if err == nil {
				t.Fatal("Handle succeeded")
			}
			store.SetFail(nil)
			if got := letters(t, store); len(got) != 0 || c.Parked() != 0 {
				t.Fatalf("parked %v", got)
			}
		})
	}
}

func TestUnplaceableDocuments(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	store := &memory.Store{}
	h := &recorder{}
	c := newConsumer(t, reg, store, h)
	big := fmt.Sprintf(`{"streamId":"order-c","version":1,"type":"order.placed","schemaVersion":9,"pad":"%s"}`, strings.Repeat("x", parking.MaxDocumentBytes))
	batch := []json.RawMessage{
		json.RawMessage(`not json`),
		json.RawMessage(`{"streamId":"order-a","version":"two","type":"order.paid"}`),
		doc(t, reg, "a", 1),
		doc(t, reg, "b", 1),
		json.RawMessage(big),
	}
	if _, err := c.Handle(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"order-b@1"}}; !reflect.DeepEqual(h.calls, want) {
		t.Fatalf("calls = %v, want %v (a stream with a document of unknown version is parked whole)", h.calls, want)
	}
	ls, _ := store.List(context.Background(), "projector")
	if len(ls) != 4 {
		t.Fatalf("letters = %+v", ls)
	}
	if !strings.HasPrefix(ls[0].ID, "undecodable-") || ls[0].DocumentText != "not json" || ls[0].StreamID != "" {
		t.Errorf("letter of a non-JSON document = %+v", ls[0])
	}
	if !strings.HasPrefix(ls[1].ID, "undecodable-") || ls[1].StreamID != "order-a" || ls[1].Version != 0 {
		t.Errorf("letter of a document without a version = %+v", ls[1])
	}
	if ls[2].ID != "order-c:1" || ls[2].Document != nil || ls[2].DocumentText != "" || ls[2].DocumentBytes != len(big) {
		t.Errorf("letter of an oversized document = %+v", ls[2])
	}
	if ls[3].ID != "order-a:1" || ls[3].Behind != 0 || !strings.Contains(ls[3].Reason, "earlier event") {
		t.Errorf("letter behind it = %+v", ls[3])
	}
}

func TestConfigValidateReportsEverything(t *testing.T) {
	t.Parallel()
	_, err := parking.New(parking.Config{})
	for _, want := range []string{"Consumer", "Registry", "Store", "Handler"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %s", err, want)
		}
	}
}
