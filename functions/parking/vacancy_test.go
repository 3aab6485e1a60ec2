package parking_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order/ordertest"
	"orderctx/functions/parking"
	"orderctx/infra/deadletters/memory"
)

// rememberingConsumer is a consumer that skips the lookup while it knows
// nothing is parked, on clock.
func rememberingConsumer(t *testing.T, reg *es.Registry, store parking.Store, h parking.Handler, clock es.Clock) *parking.Consumer {
	t.Helper()
	c, err := parking.New(parking.Config{Consumer: "projector", Registry: reg, Store: store, Handler: h, Clock: clock,
		RememberVacancy: true, Recheck: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handle delivers one batch of (order, version) pairs and fails the test on an error.
func handle(t *testing.T, c *parking.Consumer, reg *es.Registry, events ...any) {
	t.Helper()
	var docs []json.RawMessage
	for i := 0; i < len(events); i += 2 {
		docs = append(docs, doc(t, reg, events[i].(string), int64(events[i+1].(int))))
	}
	if _, err := c.Handle(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
}

// TestVacancySkipsTheLookup: with nothing parked, one check stands for every
// batch until the recheck interval has passed.
func TestVacancySkipsTheLookup(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	store := &memory.Store{}
	clock := es.NewFixedClock(t0)
	h := &recorder{}
	c := rememberingConsumer(t, reg, store, h, clock)
	for v := 1; v <= 5; v++ {
		handle(t, c, reg, "a", v)
	}
	if store.AnyParkedCalls() != 1 || store.HeadsCalls() != 0 {
		t.Fatalf("checks %d, lookups %d; want 1 check and no lookup", store.AnyParkedCalls(), store.HeadsCalls())
	}
	clock.Advance(time.Second)
	handle(t, c, reg, "a", 6)
	if store.AnyParkedCalls() != 2 || store.HeadsCalls() != 0 || len(h.calls) != 6 {
		t.Fatalf("after the recheck interval: checks %d, lookups %d, batches handled %d", store.AnyParkedCalls(), store.HeadsCalls(), len(h.calls))
	}
}

// TestVacancyNeverLetsAParkedStreamThrough: whoever parked the stream (this
// consumer, another instance before a lease moved here, something else
// altogether), its later events are parked behind it, from the next batch on
// or, for a writer that is not the lease holder, within the recheck interval.
func TestVacancyNeverLetsAParkedStreamThrough(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	poisonA2 := func(e es.Envelope) bool { return e.StreamID == "order-a" && e.Version == 2 }
	parkElsewhere := func(t *testing.T, store *memory.Store) {
		handle(t, newConsumer(t, reg, store, &recorder{poisonous: poisonA2}), reg, "a", 2)
	}
	tests := []struct {
		name string
		// mine says whether this consumer is given order-a@2 (and refuses
		// it); otherwise another instance parked it before this one's batches.
		mine bool
		// before runs once the consumer trusts a vacancy.
		before func(t *testing.T, store *memory.Store, c *parking.Consumer, clock *es.FixedClock)
	}{
		{name: "parked by this consumer", mine: true,
			before: func(*testing.T, *memory.Store, *parking.Consumer, *es.FixedClock) {}},
		{name: "parked by another instance, then the lease moved here",
			before: func(t *testing.T, store *memory.Store, c *parking.Consumer, _ *es.FixedClock) {
				parkElsewhere(t, store)
				c.LeaseAcquired()
			}},
		{name: "parked by a writer that holds no lease",
			before: func(t *testing.T, store *memory.Store, _ *parking.Consumer, clock *es.FixedClock) {
				parkElsewhere(t, store)
				clock.Advance(time.Second)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &memory.Store{}
			clock := es.NewFixedClock(t0)
			h := &recorder{}
			if tc.mine {
				h.poisonous = poisonA2
			}
			c := rememberingConsumer(t, reg, store, h, clock)
			handle(t, c, reg, "a", 1, "b", 1) // learns that nothing is parked
			tc.before(t, store, c, clock)
			if tc.mine {
				handle(t, c, reg, "a", 2, "b", 2)
			} else {
				handle(t, c, reg, "b", 2)
			}
			handle(t, c, reg, "a", 3, "b", 3)
			handle(t, c, reg, "b", 4, "a", 4)
			want := []string{"order-a:2 behind=0", "order-a:3 behind=2", "order-a:4 behind=2"}
			if got := letters(t, store); !reflect.DeepEqual(got, want) {
				t.Fatalf("letters = %v, want %v", got, want)
			}
			for _, call := range h.calls {
				for _, e := range call {
					if e == "order-a@3" || e == "order-a@4" {
						t.Fatalf("the handler was given %s behind a parked event; calls %v", e, h.calls)
					}
				}
			}
		})
	}
}

// TestVacancyReturnsAfterARelease: once the stream's letters are deleted, a
// recheck finds the partition vacant and the lookups stop again.
func TestVacancyReturnsAfterARelease(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	store := &memory.Store{}
	clock := es.NewFixedClock(t0)
	h := &recorder{poisonous: func(e es.Envelope) bool { return e.StreamID == "order-a" && e.Version == 2 }}
	c := rememberingConsumer(t, reg, store, h, clock)
	handle(t, c, reg, "a", 1, "a", 2)
	handle(t, c, reg, "a", 3)
	if store.HeadsCalls() != 1 {
		t.Fatalf("lookups after parking = %d, want 1 (the batch after the parking)", store.HeadsCalls())
	}
	store.Release("projector", "order-a")
	clock.Advance(time.Second)
	handle(t, c, reg, "b", 1)
	handle(t, c, reg, "b", 2)
	if store.HeadsCalls() != 1 {
		t.Fatalf("lookups after the release = %d, want none beyond the 1 before", store.HeadsCalls())
	}
}

// TestVacancyCheckFailureIsTransient: a failed check fails the batch and
// hands nothing to the handler.
func TestVacancyCheckFailureIsTransient(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	store := &memory.Store{}
	store.SetFail(&es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: "down"})
	h := &recorder{}
	c := rememberingConsumer(t, reg, store, h, es.NewFixedClock(t0))
	if _, err := c.Handle(context.Background(), []json.RawMessage{doc(t, reg, "a", 1)}); es.ErrorCode(err) != es.Unavailable {
		t.Fatalf("err = %v, want the store's unavailability", err)
	}
	if len(h.calls) != 0 {
		t.Fatalf("calls = %v", h.calls)
	}
}
