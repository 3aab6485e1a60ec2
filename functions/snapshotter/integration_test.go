package snapshotter_test

import (
	"context"
	"reflect"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderapp"
	"orderctx/functions/consumertest"
	"orderctx/functions/snapshotter"
	"orderctx/infra/deadletters"
	"orderctx/infra/eventstore"
)

// TestSnapshotsOnTheStore runs the snapshotter over a mixed workload's change
// feed (random batches with re-deliveries) on the embedded store: every order
// with at least 5 events has a snapshot of its latest version, the others
// have none, and the write side's load (snapshot and tail) rebuilds the same
// order as a replay of the whole stream.
func TestSnapshotsOnTheStore(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 2)
	ids := w.Workload(t, 21, "snap", 30, 400)
	cfg := snapshotter.Config{Events: w.Events, Snapshots: w.Events, Policy: snapshotter.Policy{Every: 5}}
	c, err := snapshotter.NewConsumer(cfg, w.Registry, deadletters.New(w.Conn))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range consumertest.Batches(ordertest.New(8).Rand(), w.Feed(t), 40) {
		if _, err := c.Handle(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	replay := eventstore.New(w.Conn, w.Registry)
	replay.AcceptSnapshots(func(es.Snapshot) bool { return false })
	snapshotted := 0
	for _, id := range ids {
		ctx := context.Background()
		full, err := replay.Load(ctx, order.StreamID(id))
		if err != nil {
			t.Fatal(err)
		}
		snap, err := w.Events.ReadSnapshot(ctx, order.StreamID(id))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case full.Version < 5 && snap != nil:
			t.Fatalf("%s has %d events and a snapshot", id, full.Version)
		case full.Version < 5:
			continue
		case snap == nil || snap.Version != full.Version:
			t.Fatalf("%s at version %d: snapshot %+v", id, full.Version, snap)
		}
		snapshotted++
		loaded, err := w.Events.Load(ctx, order.StreamID(id))
		if err != nil || loaded.Snapshot == nil {
			t.Fatalf("%s: load %v, snapshot used %v", id, err, loaded.Snapshot != nil)
		}
		fromSnap, err1 := orderapp.Rebuild(id, loaded)
		fromEvents, err2 := orderapp.Rebuild(id, full)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(fromSnap.State(), fromEvents.State()) {
			t.Fatalf("%s: snapshot and replay differ (%v, %v)", id, err1, err2)
		}
	}
	if snapshotted < 10 {
		t.Fatalf("only %d orders reached 5 events", snapshotted)
	}
	if c.Parked() != 0 {
		t.Fatalf("parked %d", c.Parked())
	}
}

// TestOlderSnapshotLosesOnTheStore: a snapshotter that loaded a stream long
// ago writes its snapshot after a newer one is stored; the store keeps the newer.
func TestOlderSnapshotLosesOnTheStore(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 1)
	m, reg := store(t, "o-1", 40) // the stream's events, to replay into the real store
	stream := order.StreamID("o-1")
	all := events(t, m, reg, stream, 1, 40)
	if _, err := w.Events.Append(context.Background(), stream, 0, all); err != nil {
		t.Fatal(err)
	}
	late := newSnapshotter(t, w.Events, w.Events, 10)
	if _, err := late.HandleEvents(context.Background(), all[37:]); err != nil {
		t.Fatal(err)
	}
	early := newSnapshotter(t, stale{m, reg, 30}, w.Events, 10)
	if _, err := early.HandleEvents(context.Background(), all[27:31]); err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersion(t, w.Events, stream); v != 40 {
		t.Fatalf("snapshot at %d, want 40", v)
	}
}
