package order_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func newRegistry(t testing.TB) *es.Registry {
	t.Helper()
	r := es.NewRegistry()
	if err := order.RegisterEvents(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegisterEvents(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	want := []string{
		order.EventOrderCancelled, order.EventItemAdded, order.EventItemRemoved,
		order.EventOrderPaid, order.EventOrderPlaced, order.EventOrderShipped,
	}
	if got := r.Types(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Types = %v, want %v", got, want)
	}
	if v, _ := r.SchemaVersion(order.EventOrderPlaced); v != 2 {
		t.Fatalf("order.placed schema version = %d, want 2", v)
	}
	if err := order.RegisterEvents(r); err == nil {
		t.Fatal("registering twice succeeded")
	}
}

func TestEventsRoundTrip(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	tests := []struct {
		name    string
		payload es.Payload
	}{
		{"placed", placed(item("p-1", 2, 1000, 300))},
		{"placed without items", placed()},
		{"item added", added("p-1", 1, 5, 0)},
		{"item removed", removed("p-1")},
		{"paid", paid(1700)},
		{"shipped", shipped()},
		{"cancelled", cancelled(nil)},
		{"cancelled with refund", cancelled(eurPtr(1700))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			typ, v, data, err := r.Encode(tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Decode(typ, v, data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.payload) {
				t.Fatalf("decoded %#v\nwant %#v", got, tc.payload)
			}
		})
	}
}

// TestEventJSONShapes pins the stored JSON of every event: changing it needs a
// new schema version.
func TestEventJSONShapes(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	tests := []struct {
		payload es.Payload
		want    string
	}{
		{placed(item("p-1", 2, 1000, 300)), `{"orderId":"o-1","buyerId":"b-1","currency":"EUR","shippingAddress":{"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE"},"items":[{"productId":"p-1","name":"Product p-1","quantity":2,"unitPrice":{"amount":1000,"currency":"EUR"},"discount":{"amount":300,"currency":"EUR"}}],"placedAt":"2025-03-01T12:00:00Z"}`},
		{added("p-1", 1, 5, 0), `{"orderId":"o-1","productId":"p-1","name":"Product p-1","quantity":1,"unitPrice":{"amount":5,"currency":"EUR"},"discount":{"amount":0,"currency":"EUR"}}`},
		{removed("p-1"), `{"orderId":"o-1","productId":"p-1"}`},
		{paid(1700), `{"orderId":"o-1","paymentReference":"pay-1","amount":{"amount":1700,"currency":"EUR"},"paidAt":"2025-03-01T12:00:00Z"}`},
		{shipped(), `{"orderId":"o-1","carrier":"DHL","trackingNumber":"TRACK-1","shippedAt":"2025-03-01T12:00:00Z"}`},
		{cancelled(nil), `{"orderId":"o-1","reason":"changed my mind","cancelledAt":"2025-03-01T12:00:00Z"}`},
		{cancelled(eurPtr(1700)), `{"orderId":"o-1","reason":"changed my mind","refundDue":{"amount":1700,"currency":"EUR"},"cancelledAt":"2025-03-01T12:00:00Z"}`},
	}
	for _, tc := range tests {
		_, _, data, err := r.Encode(tc.payload)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.payload.EventType(), data, tc.want)
		}
	}
}

const placedV1 = `{"orderId":"o-1","buyerId":"b-1","currency":"EUR",
	"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE",
	"items":[{"productId":"p-1","name":"Product p-1","quantity":2,"unitPrice":{"amount":1000,"currency":"EUR"},"discount":{"amount":300,"currency":"EUR"}}],
	"placedAt":"2025-03-01T12:00:00Z"}`

func TestOrderPlacedV1IsReadAsV2(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	got, err := r.Decode(order.EventOrderPlaced, 1, json.RawMessage(placedV1))
	if err != nil {
		t.Fatal(err)
	}
	if want := placed(item("p-1", 2, 1000, 300)); !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %#v\nwant %#v", got, want)
	}

	// A whole stream written partly in v1 loads like one written in v2.
	stored := []es.EncodedEvent{
		{Type: order.EventOrderPlaced, SchemaVersion: 1, Data: json.RawMessage(placedV1), Metadata: es.Metadata{StreamID: order.StreamID(oid), Version: 1}},
		{Type: order.EventOrderPaid, SchemaVersion: 1, Data: json.RawMessage(`{"orderId":"o-1","paymentReference":"pay-1","amount":{"amount":1700,"currency":"EUR"},"paidAt":"2025-03-01T12:00:00Z"}`), Metadata: es.Metadata{StreamID: order.StreamID(oid), Version: 2}},
	}
	envs := make([]es.Envelope, len(stored))
	for i, e := range stored {
		if envs[i], err = r.DecodeEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if envs[0].SchemaVersion != order.OrderPlacedSchemaVersion {
		t.Fatalf("decoded schema version = %d", envs[0].SchemaVersion)
	}
	o, err := order.Load(oid, envs)
	if err != nil {
		t.Fatal(err)
	}
	want := given(t, placed(item("p-1", 2, 1000, 300)), paid(1700)).State()
	if !reflect.DeepEqual(o.State(), want) {
		t.Fatalf("state %+v\nwant %+v", o.State(), want)
	}
}

func TestOrderPlacedV1UpcastErrors(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	for _, data := range []string{`[1,2]`, `"x"`, `null`, `{"shippingAddress":{}}`} {
		if _, err := r.Decode(order.EventOrderPlaced, 1, json.RawMessage(data)); es.ErrorCode(err) != es.Internal {
			t.Errorf("Decode(v1 %s) = %v, want an internal error", data, err)
		}
	}
}

func TestUnknownEventType(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	if _, err := r.Decode("order.exploded", 1, json.RawMessage(`{}`)); !errors.Is(err, es.ErrUnknownEventType) {
		t.Fatalf("err = %v, want ErrUnknownEventType", err)
	}
}
