package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher"
	"orderctx/functions/publisher/contracts"
)

func TestNewRefusesMissingDependencies(t *testing.T) {
	t.Parallel()
	_, err := publisher.New(nil, nil, publisher.Options{CachedOrders: -1})
	for _, want := range []string{"nil Bus", "nil History", "CachedOrders -1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New error %v does not name %q", err, want)
		}
	}
}

func TestHandlePublishesEveryEventInOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	a := w.append(t, "a", placed("a", item("p1", 1, 100)), added("a", "p2", 2, 50), paid("a", 200))
	b := w.append(t, "b", placed("b"), added("b", "p1", 1, 700))
	batch := []es.Envelope{a[0], b[0], a[1], b[1], a[2]}
	if err := w.h.Handle(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	got := w.bus.published()
	if len(w.bus.batches) != 1 || len(got) != len(batch) {
		t.Fatalf("published %d messages in %d calls, want %d in 1", len(got), len(w.bus.batches), len(batch))
	}
	wantContracts := []string{contracts.OrderPlacedV1, contracts.OrderPlacedV1, contracts.OrderChangedV1, contracts.OrderChangedV1, contracts.OrderPaidV1}
	for i, m := range got {
		e := batch[i]
		if m.ID != e.EventID || m.Contract != wantContracts[i] || m.OrderID != strings.TrimPrefix(e.StreamID, "order-") || m.StreamVersion != e.Version {
			t.Errorf("message %d = %s %s order %s v%d, want event %s %s v%d", i, m.ID, m.Contract, m.OrderID, m.StreamVersion, e.EventID, wantContracts[i], e.Version)
		}
	}
	if c := changedBody(t, got[2]); len(c.Items) != 2 || c.Total.AmountMinor != 200 || c.Change.QuantityAdded != 2 {
		t.Errorf("order a changed to %+v, want 2 items totalling 200", c)
	}
	if w.store.Loads() != 0 {
		t.Errorf("%d loads; the batch holds every order from its placement", w.store.Loads())
	}
}

func TestOrderChangedUsesCachedOrdersAcrossBatches(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	first := w.append(t, "a", placed("a", item("p1", 1, 100)))
	if err := w.h.Handle(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		next := w.append(t, "a", added("a", "p1", 1, 100))
		if err := w.h.Handle(context.Background(), next); err != nil {
			t.Fatal(err)
		}
		got := w.bus.published()
		if c := changedBody(t, got[len(got)-1]); c.Items[0].Quantity != i+2 || c.Total.AmountMinor != int64(100*(i+2)) {
			t.Fatalf("after %d additions: %+v", i+1, c)
		}
	}
	if w.store.Loads() != 0 {
		t.Errorf("%d loads, want 0: the cache follows the order", w.store.Loads())
	}
}

func TestCacheMissLoadsTheStreamUpToTheEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	events := w.append(t, "a", placed("a", item("p1", 1, 100)), added("a", "p2", 1, 10), added("a", "p3", 1, 1), paid("a", 111))
	// A fresh handler sees the second event first: it must fold v1..v2, not the
	// whole stream (v4).
	if err := w.h.Handle(context.Background(), events[1:2]); err != nil {
		t.Fatal(err)
	}
	c := changedBody(t, w.bus.published()[0])
	if len(c.Items) != 2 || c.Total.AmountMinor != 110 {
		t.Fatalf("state after v2 = %+v, want p1 and p2 totalling 110", c)
	}
	if w.store.Loads() != 1 {
		t.Fatalf("%d loads, want 1", w.store.Loads())
	}
	// The loaded order continues with the next event without another load.
	if err := w.h.Handle(context.Background(), events[2:]); err != nil {
		t.Fatal(err)
	}
	if c := changedBody(t, w.bus.published()[1]); c.Total.AmountMinor != 111 || w.store.Loads() != 1 {
		t.Fatalf("state after v3 = %+v after %d loads", c, w.store.Loads())
	}
}

func TestRedeliveredEventsGetTheSameMessages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	events := w.append(t, "a", placed("a"), added("a", "p1", 1, 5), added("a", "p2", 1, 7), order.ItemRemoved{OrderID: "a", ProductID: "p1"})
	if err := w.h.Handle(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	// The feed delivers v2..v4 again (a checkpoint that was lost): the cached
	// order is at v4, so the handler must not fold v2 onto it.
	if err := w.h.Handle(context.Background(), events[1:]); err != nil {
		t.Fatal(err)
	}
	got := w.bus.published()
	if !reflect.DeepEqual(got[1:4], got[4:]) {
		t.Fatalf("redelivery published different messages:\nfirst  %+v\nsecond %+v", got[1:4], got[4:])
	}
}

func TestBusFailureIsTransientAndLeavesNothingHalfApplied(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	events := w.append(t, "a", placed("a"), added("a", "p1", 1, 5), added("a", "p2", 1, 7))
	if err := w.h.Handle(context.Background(), events[:1]); err != nil {
		t.Fatal(err)
	}
	w.bus.failNext = 1
	err := w.h.Handle(context.Background(), events[1:])
	if !errors.Is(err, errBusDown) || errors.Is(err, publisher.ErrUnmappable) {
		t.Fatalf("err = %v, want the transient bus error", err)
	}
	if err := w.h.Handle(context.Background(), events[1:]); err != nil {
		t.Fatal(err)
	}
	got := w.bus.published()
	if c := changedBody(t, got[1]); c.Total.AmountMinor != 5 || len(c.Items) != 1 {
		t.Fatalf("retried v2 = %+v, want only p1 (the failed attempt must not have advanced the order)", c)
	}
}

func TestUnmappableEventsAreReportedAndNothingIsPublished(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	ok := w.append(t, "a", placed("a"), paid("a", 0))
	corrupt := w.append(t, "c", placed("c"), order.ItemRemoved{OrderID: "c", ProductID: "never-added"})
	unknown := ok[1]
	unknown.Type = "order.refunded"
	mismatch := ok[1]
	mismatch.Payload = placed("a")
	tests := []struct {
		name  string
		batch []es.Envelope
		index int
		cause error
	}{
		{"event type without a rule", []es.Envelope{ok[0], unknown}, 1, contracts.ErrNoRule},
		{"payload of the wrong type", []es.Envelope{ok[0], mismatch}, 1, contracts.ErrInvalidEvent},
		{"history that does not fold", []es.Envelope{ok[0], corrupt[1]}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := w.h.Handle(context.Background(), tc.batch)
			var u *publisher.UnmappableError
			if !errors.As(err, &u) || !errors.Is(err, publisher.ErrUnmappable) {
				t.Fatalf("err = %v, want an *UnmappableError", err)
			}
			e := tc.batch[tc.index]
			if u.Index != tc.index || u.EventID != e.EventID || u.StreamID != e.StreamID || u.Version != e.Version || u.Type != e.Type {
				t.Errorf("error names event %d %s %s@%d %s, want %d %s %s@%d %s", u.Index, u.EventID, u.StreamID, u.Version, u.Type, tc.index, e.EventID, e.StreamID, e.Version, e.Type)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("cause %v, want %v", u.Cause, tc.cause)
			}
			if n := len(w.bus.published()); n != 0 {
				t.Errorf("published %d messages of a batch with an unmappable event", n)
			}
		})
	}
}

func TestStoreTroubleIsTransient(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	events := w.append(t, "a", placed("a"), added("a", "p1", 1, 5), added("a", "p2", 1, 5))
	w.store.SetDown(true)
	err := w.h.Handle(context.Background(), events[1:2])
	if err == nil || errors.Is(err, publisher.ErrUnmappable) {
		t.Fatalf("store down: err = %v, want a transient error", err)
	}
	w.store.SetDown(false)
	o, err := order.Load("a", events)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := o.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.WriteSnapshot(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	err = w.h.Handle(context.Background(), events[1:2])
	if err == nil || errors.Is(err, publisher.ErrUnmappable) || !strings.Contains(err.Error(), "snapshot") {
		t.Fatalf("snapshot after the event: err = %v, want a transient error naming the snapshot", err)
	}
	if n := len(w.bus.published()); n != 0 {
		t.Fatalf("published %d messages", n)
	}
}

func TestInternalEventsAreSkipped(t *testing.T) {
	t.Parallel()
	table := contracts.OrdersV1()
	table[order.EventOrderPaid] = contracts.Rule{}
	w := newWorld(t, publisher.Options{Contracts: table})
	events := w.append(t, "a", placed("a"), paid("a", 0), order.OrderShipped{OrderID: "a", Carrier: "c", TrackingNumber: "t", ShippedAt: t0})
	if err := w.h.Handle(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	got := w.bus.published()
	if len(got) != 2 || got[0].Contract != contracts.OrderPlacedV1 || got[1].Contract != contracts.OrderShippedV1 {
		t.Fatalf("published %+v, want placed and shipped", got)
	}
}

func TestOrderCacheIsBounded(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{CachedOrders: 1})
	a := w.append(t, "a", placed("a"), added("a", "p1", 1, 5))
	b := w.append(t, "b", placed("b"), added("b", "p1", 1, 5))
	if err := w.h.Handle(context.Background(), []es.Envelope{a[0], b[0]}); err != nil {
		t.Fatal(err)
	}
	if err := w.h.Handle(context.Background(), []es.Envelope{a[1], b[1]}); err != nil {
		t.Fatal(err)
	}
	if w.store.Loads() != 1 {
		t.Fatalf("%d loads, want 1: only one of the two orders fits the cache", w.store.Loads())
	}
	if len(w.bus.published()) != 4 {
		t.Fatalf("published %d messages, want 4", len(w.bus.published()))
	}
}

// undecodableHistory loads like the store does when a stored event of the
// stream cannot be read by this build.
type undecodableHistory struct{ err error }

func (h undecodableHistory) Load(context.Context, string) (es.Stream, error) {
	return es.Stream{}, h.err
}

func TestHistoryThisBuildCannotReadIsUnmappable(t *testing.T) {
	t.Parallel()
	w := newWorld(t, publisher.Options{})
	events := w.append(t, "a", placed("a"), added("a", "p1", 1, 5), added("a", "p2", 1, 5))
	for _, sentinel := range []error{es.ErrUnknownEventType, es.ErrMissingUpcaster, es.ErrUnsupportedSchema} {
		t.Run(es.ErrorRule(sentinel), func(t *testing.T) {
			h, err := publisher.New(w.bus, undecodableHistory{fmt.Errorf("decode v2: %w", sentinel)}, publisher.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// v2 alone needs the order's state up to it, so the history is loaded.
			err = h.Handle(context.Background(), events[1:2])
			var u *publisher.UnmappableError
			if !errors.As(err, &u) || u.Index != 0 || !errors.Is(err, sentinel) {
				t.Fatalf("err = %v, want an *UnmappableError for event 0 caused by %v", err, sentinel)
			}
		})
	}
	if n := len(w.bus.published()); n != 0 {
		t.Fatalf("published %d messages", n)
	}
}
