package orderapp_test

import (
	"context"
	"errors"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/infra/eventstore/memory"
)

var errBoom = errors.New("boom")

// orderRegistry returns a registry with the order events.
func orderRegistry(t testing.TB) *es.Registry {
	t.Helper()
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

// appendRaw appends payloads to a stream as another writer would.
func appendRaw(t testing.TB, s *memory.Store, streamID, commandID string, payloads ...es.Payload) {
	t.Helper()
	if _, err := s.AppendAs(streamID, commandID, t0, payloads...); err != nil {
		t.Fatal(err)
	}
}

// snapshotAt writes (and returns) the order's snapshot at a version of its stream.
func snapshotAt(t testing.TB, s *memory.Store, orderID string, version int) es.Snapshot {
	t.Helper()
	ctx := context.Background()
	loaded, err := s.Load(ctx, order.StreamID(orderID))
	if err != nil {
		t.Fatal(err)
	}
	o, err := order.Load(orderID, loaded.Events[:version])
	if err != nil {
		t.Fatal(err)
	}
	snap, err := o.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	return snap
}
