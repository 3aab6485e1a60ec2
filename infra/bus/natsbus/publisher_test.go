package natsbus_test

import (
	"context"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/eventstore/memory"
)

var _ publisher.Bus = (*natsbus.Bus)(nil)

// TestHandlerRedeliveryReachesSubscribersOnce runs the publisher's handler on
// JetStream: a batch handled twice (a change feed re-delivering it) reaches
// a subscriber once per event, each order's events in stream order.
func TestHandlerRedeliveryReachesSubscribersOnce(t *testing.T) {
	t.Parallel()
	b := open(t, natsbus.Config{DataDir: t.TempDir()})
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	h, err := publisher.New(b, memory.New(reg), publisher.Options{})
	if err != nil {
		t.Fatal(err)
	}
	events := orderEvents(t, 20, "h")
	for range 2 {
		if err := h.Handle(context.Background(), events); err != nil {
			t.Fatal(err)
		}
	}
	got := consume(t, b.URL(), b.Stream())
	if len(got) != len(events) {
		t.Fatalf("subscriber saw %d messages for %d events", len(got), len(events))
	}
	next := map[string]int{} // per order: index of its next event
	perOrder := map[string][]es.Envelope{}
	for _, e := range events {
		perOrder[e.StreamID] = append(perOrder[e.StreamID], e)
	}
	for _, m := range got {
		stream := order.StreamID(m.Headers().Get(natsbus.HeaderOrderID))
		want := perOrder[stream][next[stream]]
		if id := m.Headers().Get(natsbus.HeaderMsgID); id != want.EventID {
			t.Fatalf("%s: message %s, want event %s (v%d)", stream, id, want.EventID, want.Version)
		}
		next[stream]++
	}
}
