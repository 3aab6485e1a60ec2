package replay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/replay"
)

// seen records the documents handled, by id.
type seen struct {
	mu  sync.Mutex
	ids map[string]int
	// holdAt, when set, refuses every batch once that many documents were
	// handled, so a replay is stopped half way however fast the machine is.
	holdAt int
}

func (s *seen) handle(_ context.Context, docs []json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holdAt > 0 && len(s.ids) >= s.holdAt {
		return errors.New("held half way by the test")
	}
	for _, d := range docs {
		var doc struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(d, &doc); err != nil {
			return err
		}
		s.ids[doc.ID]++
	}
	return nil
}

func (s *seen) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}

func start(t *testing.T, conn *cosmosdb.Conn, s *seen) (*replay.Replay, chan error) {
	t.Helper()
	r, err := replay.New(conn, replay.Options{Container: cosmosdb.Events, Prefix: "test.", Handle: s.handle, MaxItems: 10, PollDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	return r, done
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func stop(t *testing.T, r *replay.Replay, done chan error) {
	t.Helper()
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestResumesWhereItStoppedAndStartsOverWithoutLeases: a replay stopped
// half way is resumed by the next one with the same prefix (which does not
// see the first half again), reports being caught up at the end, and once
// its leases are deleted a new replay reads everything again.
func TestResumesWhereItStoppedAndStartsOverWithoutLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := cosmosdbtest.Embedded(t, 3)
	const n = 600
	for i := range n {
		stream := fmt.Sprintf("s-%d", i%37)
		doc := fmt.Sprintf(`{"id":"%s:%d","streamId":"%s","version":%d}`, stream, i, stream, i)
		if err := conn.UpsertItem(ctx, cosmosdb.Events, stream, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	first := &seen{ids: map[string]int{}, holdAt: n / 2}
	r, done := start(t, conn, first)
	waitFor(t, "half the feed", func() bool { return first.distinct() >= n/2 })
	stop(t, r, done)
	if got := first.distinct(); got >= n {
		t.Fatalf("the first replay saw all %d documents before it was stopped", got)
	}

	second := &seen{ids: map[string]int{}}
	r, done = start(t, conn, second)
	waitFor(t, "the second replay to catch up", func() bool { return r.Progress().CaughtUp() })
	p := r.Progress()
	stop(t, r, done)
	all := map[string]bool{}
	for id := range first.ids {
		all[id] = true
	}
	for id := range second.ids {
		all[id] = true
	}
	if len(all) != n || second.distinct() >= n || p.Behind != 0 || p.Held != p.Leases || p.Leases == 0 {
		t.Fatalf("together %d of %d documents, the second replay %d (progress %+v); want all, the second only the rest", len(all), n, second.distinct(), p)
	}

	removed, err := replay.DeleteLeases(ctx, conn, "test.")
	if err != nil || removed < p.Leases {
		t.Fatalf("deleted %d leases (%v); want at least %d", removed, err, p.Leases)
	}
	third := &seen{ids: map[string]int{}}
	r, done = start(t, conn, third)
	waitFor(t, "a fresh replay to catch up", func() bool { return r.Progress().CaughtUp() })
	stop(t, r, done)
	if third.distinct() != n {
		t.Fatalf("after deleting the leases a replay saw %d of %d documents", third.distinct(), n)
	}
}
