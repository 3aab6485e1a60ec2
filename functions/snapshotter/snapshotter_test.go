package snapshotter_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderapp"
	"orderctx/functions/parking"
	"orderctx/functions/snapshotter"
	"orderctx/infra/eventstore/memory"
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

func TestPolicy(t *testing.T) {
	t.Parallel()
	p := snapshotter.Policy{Every: 10}
	tests := []struct {
		lo, hi, last int64
		want         bool
	}{
		{1, 9, 0, false},
		{1, 10, 0, true},
		{8, 14, 0, true},
		{11, 19, 10, false},
		{15, 21, 14, true},
		{22, 28, 21, false},
		{23, 25, 0, true}, // 25 events past no snapshot, though no multiple of 10 was crossed
		{26, 26, 25, false},
		{41, 45, 30, true},
	}
	for _, tc := range tests {
		if got := p.Due(tc.lo, tc.hi, tc.last); got != tc.want {
			t.Errorf("Due(%d..%d, last %d) = %v, want %v", tc.lo, tc.hi, tc.last, got, tc.want)
		}
	}
	if err := (snapshotter.Policy{Every: 0}).Validate(); err == nil {
		t.Error("an interval of 0 is valid")
	}
}

// store returns an in-memory event store with order id's stream grown to
// events events: a placement, then items added one at a time.
func store(t *testing.T, id string, events int) (*memory.Store, *es.Registry) {
	t.Helper()
	reg := ordertest.Registry(t)
	m := memory.New(reg)
	grow(t, m, id, events)
	return m, reg
}

func grow(t *testing.T, m *memory.Store, id string, to int) {
	t.Helper()
	stream := order.StreamID(id)
	for v := len(m.Events(stream)); v < to; v++ {
		var p es.Payload = order.ItemAdded{OrderID: id, ProductID: fmt.Sprintf("p-%d", v%7), Name: "x", Quantity: 1,
			UnitPrice: order.Money{Amount: 100, Currency: "EUR"}, Discount: order.Money{Currency: "EUR"}}
		if v == 0 {
			p = order.OrderPlaced{OrderID: id, BuyerID: "b", Currency: "EUR", Items: []order.Item{},
				ShippingAddress: order.Address{Street: "s", City: "c", PostalCode: "1", Country: "NO"}, PlacedAt: t0}
		}
		if _, err := m.AppendAs(stream, "c", t0, p); err != nil {
			t.Fatal(err)
		}
	}
}

// events returns versions lo..hi of a stream, decoded.
func events(t *testing.T, m *memory.Store, reg *es.Registry, stream string, lo, hi int64) []es.Envelope {
	t.Helper()
	var out []es.Envelope
	for _, enc := range m.Events(stream)[lo-1 : hi] {
		e, err := reg.DecodeEvent(enc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func newSnapshotter(t *testing.T, loader snapshotter.Loader, snaps es.SnapshotStore, every int64) *snapshotter.Snapshotter {
	t.Helper()
	s, err := snapshotter.New(snapshotter.Config{Events: loader, Snapshots: snaps, Policy: snapshotter.Policy{Every: every}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func snapshotVersion(t *testing.T, m es.SnapshotStore, stream string) int64 {
	t.Helper()
	snap, err := m.ReadSnapshot(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	if snap == nil {
		return 0
	}
	return snap.Version
}

// TestSnapshotsAtThePolicyPoints grows a stream 7 events at a time and
// hands each 7 to the snapshotter right after they are appended.
func TestSnapshotsAtThePolicyPoints(t *testing.T) {
	t.Parallel()
	m, reg := store(t, "o-1", 0)
	s := newSnapshotter(t, m, m, 10)
	var got []int64
	for hi := int64(7); hi <= 56; hi += 7 {
		grow(t, m, "o-1", int(hi))
		if _, err := s.HandleEvents(context.Background(), events(t, m, reg, "order-o-1", hi-6, hi)); err != nil {
			t.Fatal(err)
		}
		got = append(got, snapshotVersion(t, m, "order-o-1"))
	}
	if want := []int64{0, 14, 21, 21, 35, 42, 42, 56}; !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot versions after each batch = %v, want %v", got, want)
	}
	stream, err := m.Load(context.Background(), "order-o-1")
	if err != nil {
		t.Fatal(err)
	}
	o, err := orderapp.Rebuild("o-1", stream)
	if err != nil || stream.Snapshot == nil || len(stream.Events) != 0 {
		t.Fatalf("load from the snapshot: %v, %+v", err, stream)
	}
	if len(o.Items()) != 7 || o.Version() != 56 {
		t.Fatalf("order from the snapshot: %d items, version %d", len(o.Items()), o.Version())
	}
}

// TestCatchesUpWithoutCrossing: a stream 25 events past no snapshot gets one
// even when its batch crosses no multiple of the interval.
func TestCatchesUpWithoutCrossing(t *testing.T) {
	t.Parallel()
	m, reg := store(t, "o-1", 26)
	s := newSnapshotter(t, m, m, 10)
	if _, err := s.HandleEvents(context.Background(), events(t, m, reg, "order-o-1", 23, 25)); err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersion(t, m, "order-o-1"); v != 26 {
		t.Fatalf("snapshot at %d, want 26 (the stream's version when loaded)", v)
	}
	loads := m.Loads()
	if _, err := s.HandleEvents(context.Background(), events(t, m, reg, "order-o-1", 26, 26)); err != nil {
		t.Fatal(err)
	}
	if m.Loads() != loads {
		t.Fatal("a stream 0 events past its snapshot was loaded again")
	}
}

// stale is a loader that returns streams as they were at version at, as a
// snapshotter that loaded long ago would see them.
type stale struct {
	m   *memory.Store
	reg *es.Registry
	at  int
}

func (s stale) Load(_ context.Context, streamID string) (es.Stream, error) {
	out := es.Stream{StreamID: streamID, Version: int64(s.at)}
	for _, enc := range s.m.Events(streamID)[:s.at] {
		e, err := s.reg.DecodeEvent(enc)
		if err != nil {
			return es.Stream{}, err
		}
		out.Events = append(out.Events, e)
	}
	return out, nil
}

func TestNeverWritesAnOlderSnapshot(t *testing.T) {
	t.Parallel()
	m, reg := store(t, "o-1", 40)
	early, late := stale{m, reg, 30}, stale{m, reg, 40}
	if _, err := newSnapshotter(t, late, m, 10).HandleEvents(context.Background(), events(t, m, reg, "order-o-1", 38, 40)); err != nil {
		t.Fatal(err)
	}
	if _, err := newSnapshotter(t, early, m, 10).HandleEvents(context.Background(), events(t, m, reg, "order-o-1", 28, 31)); err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersion(t, m, "order-o-1"); v != 40 {
		t.Fatalf("snapshot at %d after a slower snapshotter wrote version 30, want 40", v)
	}
}

func TestPoisonAndTransientFailures(t *testing.T) {
	t.Parallel()
	m, reg := store(t, "o-1", 12)
	if _, err := m.AppendAs("order-o-1", "c", t0, order.ItemRemoved{OrderID: "o-1", ProductID: "never-added"}); err != nil {
		t.Fatal(err)
	}
	batch := events(t, m, reg, "order-o-1", 9, 13)
	_, err := newSnapshotter(t, m, m, 10).HandleEvents(context.Background(), batch)
	var poison *parking.PoisonError
	if !errors.As(err, &poison) || poison.StreamID != "order-o-1" || poison.Version != 9 || poison.EventID != batch[0].EventID {
		t.Fatalf("err = %v, want poison naming the batch's first event of the stream", err)
	}
	if v := snapshotVersion(t, m, "order-o-1"); v != 0 {
		t.Fatalf("a snapshot of a broken stream: %d", v)
	}
	healthy, reg := store(t, "o-2", 12)
	healthy.SetDown(true)
	_, err = newSnapshotter(t, healthy, healthy, 10).HandleEvents(context.Background(), events(t, m, reg, "order-o-1", 9, 12))
	if err == nil || errors.As(err, &poison) {
		t.Fatalf("err = %v, want a transient error", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	_, err := snapshotter.New(snapshotter.Config{Policy: snapshotter.Policy{Every: -1}})
	for _, want := range []string{"Events", "Snapshots", "interval"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %s", err, want)
		}
	}
}
