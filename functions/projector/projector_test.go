package projector_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderview"
	"orderctx/functions/parking"
	"orderctx/functions/projector"
	"orderctx/infra/viewstore/memory"
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// orders returns n random order histories of at least 5 events each, and
// the view each must end as.
func orders(t *testing.T, n int) (map[string][]es.Envelope, map[string]orderview.View) {
	t.Helper()
	reg := ordertest.Registry(t)
	g := ordertest.New(uint64(n))
	histories, want := map[string][]es.Envelope{}, map[string]orderview.View{}
	for len(histories) < n {
		id := fmt.Sprintf("o-%d", len(histories))
		o, events := g.History(t, reg, id, 12, t0)
		if len(events) < 5 {
			continue
		}
		v, err := orderview.FromState(o.State(), o.Version(), events[len(events)-1].OccurredAt)
		if err != nil {
			t.Fatal(err)
		}
		histories[id], want[id] = events, v
	}
	return histories, want
}

// interleave returns the histories' events in one feed, round robin.
func interleave(histories map[string][]es.Envelope) []es.Envelope {
	var feed []es.Envelope
	for i := 0; ; i++ {
		added := false
		for n := range len(histories) {
			if h := histories[fmt.Sprintf("o-%d", n)]; i < len(h) {
				feed, added = append(feed, h[i]), true
			}
		}
		if !added {
			return feed
		}
	}
}

func newProjector(t *testing.T, views projector.Views) *projector.Projector {
	t.Helper()
	p, err := projector.New(projector.Config{Views: views})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func views(t *testing.T, s projector.Views, ids ...string) map[string]orderview.View {
	t.Helper()
	got, err := s.Get(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]orderview.View{}
	for id, st := range got {
		out[id] = st.View
	}
	return out
}

func keys(m map[string]orderview.View) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestProjectWritesEachViewOncePerBatch(t *testing.T) {
	t.Parallel()
	histories, want := orders(t, 5)
	store := &memory.Store{}
	p := newProjector(t, store)
	feed := interleave(histories)
	res, err := p.HandleEvents(context.Background(), feed)
	if err != nil {
		t.Fatal(err)
	}
	if got := views(t, store, keys(want)...); !reflect.DeepEqual(got, want) {
		t.Fatalf("views differ from the fold:\n got %+v\nwant %+v", got, want)
	}
	gets, writes := store.Counts()
	if writes != 5 || gets != 1 { // every stream starts at 1: nothing to read; 1 is the check above
		t.Fatalf("%d gets and %d writes for one batch of 5 orders", gets, writes)
	}
	if len(res.Logs) != 1 {
		t.Fatalf("logs = %q", res.Logs)
	}
	// The same batch again, and again in pieces: nothing to write.
	if _, err := p.HandleEvents(context.Background(), feed); err != nil {
		t.Fatal(err)
	}
	if _, err := p.HandleEvents(context.Background(), feed[len(feed)/2:]); err != nil {
		t.Fatal(err)
	}
	if _, writes := store.Counts(); writes != 5 {
		t.Fatalf("re-deliveries wrote: %d writes", writes)
	}
}

func TestProjectInAnyBatching(t *testing.T) {
	t.Parallel()
	histories, want := orders(t, 8)
	feed := interleave(histories)
	rng := ordertest.New(3).Rand()
	for run := range 20 {
		store := &memory.Store{}
		p := newProjector(t, store)
		for i := 0; i < len(feed); {
			n := 1 + rng.IntN(12)
			end := min(i+n, len(feed))
			batch := append([]es.Envelope{}, feed[i:end]...)
			if rng.IntN(3) == 0 { // duplicates within the batch
				batch = append(batch, batch[rng.IntN(len(batch))])
			}
			if _, err := p.HandleEvents(context.Background(), batch); err != nil {
				t.Fatalf("run %d, events %d..%d: %v", run, i, end, err)
			}
			i = end - rng.IntN(min(n, 3)) // sometimes deliver the last events again
			if i <= end-n {
				i = end
			}
		}
		if got := views(t, store, keys(want)...); !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: views differ from the fold", run)
		}
	}
}

func TestGapFailsTheBatchAndWritesNothing(t *testing.T) {
	t.Parallel()
	histories, _ := orders(t, 2)
	a, b := histories["o-0"], histories["o-1"]
	store := &memory.Store{}
	p := newProjector(t, store)
	if _, err := p.HandleEvents(context.Background(), a[:1]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		batch []es.Envelope
	}{
		{name: "after the view", batch: []es.Envelope{b[0], a[2]}},
		{name: "no view yet", batch: []es.Envelope{b[1], b[2]}},
		{name: "inside the batch", batch: []es.Envelope{b[0], a[1], a[3]}},
	}
	for _, tc := range tests {
		_, err := p.HandleEvents(context.Background(), tc.batch)
		var gap *projector.GapError
		if !errors.As(err, &gap) || errors.As(err, new(*parking.PoisonError)) {
			t.Fatalf("%s: err = %v, want a GapError and no poison", tc.name, err)
		}
		if _, writes := store.Counts(); writes != 1 {
			t.Fatalf("%s: %d writes, want only the first", tc.name, writes)
		}
	}
	if _, err := p.HandleEvents(context.Background(), []es.Envelope{b[0], a[1], a[2]}); err != nil {
		t.Fatalf("the missing events arrived: %v", err)
	}
}

func TestPoisonIsReportedAndNothingWritten(t *testing.T) {
	t.Parallel()
	histories, _ := orders(t, 2)
	a, b := histories["o-0"], histories["o-1"]
	bad := a[1]
	bad.Type, bad.Payload = order.EventItemRemoved, order.ItemRemoved{OrderID: "o-0", ProductID: "never-added"}
	store := &memory.Store{}
	p := newProjector(t, store)
	_, err := p.HandleEvents(context.Background(), []es.Envelope{a[0], b[0], bad, a[2]})
	var poison *parking.PoisonError
	if !errors.As(err, &poison) || poison.StreamID != "order-o-0" || poison.Version != 2 || poison.EventID != bad.EventID {
		t.Fatalf("err = %v, want poison naming order-o-0@2", err)
	}
	if _, writes := store.Counts(); writes != 0 {
		t.Fatalf("%d writes", writes)
	}
}

// TestConflictsAreReappliedOnTheOtherWritersView slips another projector's
// write of the same views in before every write of the first one: each lost
// write is read again and re-applied, and no update is lost.
func TestConflictsAreReappliedOnTheOtherWritersView(t *testing.T) {
	t.Parallel()
	histories, want := orders(t, 4)
	feed := interleave(histories)
	store := &memory.Store{}
	rival := newProjector(t, store)
	p := newProjector(t, store)
	half := len(feed) / 2
	if _, err := p.HandleEvents(context.Background(), feed[:half/2]); err != nil {
		t.Fatal(err)
	}
	// Writes run concurrently: one rival run at a time, and none for the
	// rival's own writes.
	var mu sync.Mutex
	raced, busy := 0, false
	store.BeforeWrite(func(id string) {
		mu.Lock()
		if busy || raced >= 8 {
			mu.Unlock()
			return
		}
		busy, raced = true, raced+1
		mu.Unlock()
		if _, err := rival.HandleEvents(context.Background(), feed[:half]); err != nil {
			t.Error(err)
		}
		mu.Lock()
		busy = false
		mu.Unlock()
	})
	res, err := p.HandleEvents(context.Background(), feed)
	if err != nil {
		t.Fatal(err)
	}
	if got := views(t, store, keys(want)...); !reflect.DeepEqual(got, want) {
		t.Fatalf("views differ from the fold after conflicts")
	}
	if raced == 0 || len(res.Logs) != 1 || strings.Contains(res.Logs[0], " 0 writes redone") {
		t.Fatalf("no write was redone (%d rival runs), logs %q", raced, res.Logs)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	histories, _ := orders(t, 1)
	store := &memory.Store{}
	p, err := projector.New(projector.Config{Views: store, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	a := histories["o-0"]
	if _, err := p.HandleEvents(context.Background(), a[:1]); err != nil {
		t.Fatal(err)
	}
	busy := false
	store.BeforeWrite(func(id string) { // another writer rewrites the view every time: a new etag

		if busy {
			return
		}
		busy = true
		defer func() { busy = false }()
		st, _ := store.Get(context.Background(), []string{id})
		_, _ = store.Replace(context.Background(), st[id].View, st[id].ETag)
	})
	_, err = p.HandleEvents(context.Background(), a[1:2])
	if !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("err = %v, want ErrConcurrency after 3 lost writes", err)
	}
}

func TestOtherStreamsAreIgnored(t *testing.T) {
	t.Parallel()
	histories, want := orders(t, 1)
	store := &memory.Store{}
	p := newProjector(t, store)
	cart := histories["o-0"][0]
	cart.StreamID = "cart-1"
	events := append([]es.Envelope{cart}, histories["o-0"]...)
	res, err := p.HandleEvents(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	if got := views(t, store, "o-0", "1", "cart-1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("views = %v", got)
	}
	if len(res.Logs) != 1 || !strings.Contains(res.Logs[0], "1 not of orders") {
		t.Fatalf("logs = %q", res.Logs)
	}
}

// TestStaleCacheIsCheckedAgainstTheStore: a view cached by one projector and
// then advanced by another is neither mistaken for a gap nor overwritten.
func TestStaleCacheIsCheckedAgainstTheStore(t *testing.T) {
	t.Parallel()
	histories, want := orders(t, 1)
	a := histories["o-0"]
	tests := []struct {
		name   string
		rival  int // events the other projector applies after the first
		replay []es.Envelope
	}{
		{name: "next events continue the store's view", rival: 2, replay: a[3:]},
		{name: "events the store has seen", rival: len(a) - 1, replay: a[1:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &memory.Store{}
			p := newProjector(t, store)
			if _, err := p.HandleEvents(context.Background(), a[:1]); err != nil {
				t.Fatal(err)
			}
			if _, err := newProjector(t, store).HandleEvents(context.Background(), a[1:1+tc.rival]); err != nil {
				t.Fatal(err)
			}
			if _, err := p.HandleEvents(context.Background(), tc.replay); err != nil {
				t.Fatal(err)
			}
			if got := views(t, store, "o-0"); !reflect.DeepEqual(got, want) {
				t.Fatalf("view = %+v, want %+v", got["o-0"], want["o-0"])
			}
		})
	}
}

func TestWithoutCache(t *testing.T) {
	t.Parallel()
	histories, want := orders(t, 3)
	feed := interleave(histories)
	store := &memory.Store{}
	p, err := projector.New(projector.Config{Views: store, CacheViews: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(feed); i += 4 {
		if _, err := p.HandleEvents(context.Background(), feed[i:min(i+4, len(feed))]); err != nil {
			t.Fatal(err)
		}
	}
	if got := views(t, store, keys(want)...); !reflect.DeepEqual(got, want) {
		t.Fatalf("views differ from the fold")
	}
	if gets, _ := store.Counts(); gets < len(feed)/4-3 {
		t.Fatalf("only %d reads for %d batches: a cache is in use", gets, len(feed)/4)
	}
}
