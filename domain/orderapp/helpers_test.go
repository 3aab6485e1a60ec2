package orderapp_test

import (
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
