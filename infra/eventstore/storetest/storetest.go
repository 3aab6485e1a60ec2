// Package storetest is the acceptance suite every es.EventStore and
// es.SnapshotStore implementation must pass.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/domain/es"
)

// Happened is the suite's event payload.
type Happened struct {
	N    int    `json:"n"`
	Note string `json:"note"`
}

// EventType implements es.Payload.
func (Happened) EventType() string { return "storetest.happened" }

// Registry returns a registry knowing the suite's event type.
func Registry() *es.Registry {
	reg := es.NewRegistry()
	if err := reg.Register("storetest.happened", 1, func() es.Payload { return &Happened{} }); err != nil {
		panic(err)
	}
	return reg
}

// Stores is what an implementation hands the suite.
type Stores interface {
	es.EventStore
	es.SnapshotStore
}

var streams atomic.Int64

// newStream returns a stream id no other test uses, so tests can share a store
// (and a real account) safely.
func newStream(_ *testing.T) string {
	return fmt.Sprintf("storetest-%d-%d", time.Now().UnixNano(), streams.Add(1))
}

func stamp(t *testing.T, reg *es.Registry, stream string, after int64, n int, cmd string) []es.Envelope {
	t.Helper()
	payloads := make([]es.Payload, n)
	for i := range payloads {
		payloads[i] = Happened{N: int(after) + i + 1, Note: "event"}
	}
	envs, err := reg.Stamp(stream, after, payloads, es.Causation{CommandID: cmd, CorrelationID: "corr-" + cmd}, time.Now().UTC(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range envs {
		envs[i].CommandHash = "hash-" + cmd
	}
	return envs
}

// Run runs the suite. newStores returns the stores under test (it may return
// the same stores every time).
func Run(t *testing.T, newStores func(t *testing.T) Stores) {
	reg := Registry()
	ctx := context.Background()

	t.Run("missing stream loads empty", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		got, err := s.Load(ctx, newStream(t))
		if err != nil || got.Version != 0 || len(got.Events) != 0 || got.Snapshot != nil {
			t.Fatalf("Load of a missing stream = %+v, %v", got, err)
		}
	})

	t.Run("append then load in order with metadata", func(t *testing.T) {
		t.Parallel()
		s, stream := newStores(t), newStream(t)
		envs := stamp(t, reg, stream, 0, 3, "c1")
		res, err := s.Append(ctx, stream, 0, envs)
		if err != nil || res.Version != 3 {
			t.Fatalf("Append = %+v, %v", res, err)
		}
		got, err := s.Load(ctx, stream)
		if err != nil || got.Version != 3 || len(got.Events) != 3 {
			t.Fatalf("Load = %+v, %v", got, err)
		}
		for i, e := range got.Events {
			if e.Version != int64(i+1) || e.EventID != envs[i].EventID || e.CommandID != "c1" ||
				e.CorrelationID != "corr-c1" || e.Type != "storetest.happened" || e.Payload.(Happened).N != i+1 {
				t.Fatalf("event %d = %+v", i, e)
			}
		}
	})

	t.Run("stale expected version is a concurrency error and writes nothing", func(t *testing.T) {
		t.Parallel()
		s, stream := newStores(t), newStream(t)
		if _, err := s.Append(ctx, stream, 0, stamp(t, reg, stream, 0, 2, "a")); err != nil {
			t.Fatal(err)
		}
		_, err := s.Append(ctx, stream, 1, stamp(t, reg, stream, 1, 3, "b"))
		if !errors.Is(err, es.ErrConcurrency) {
			t.Fatalf("append at a stale version: %v", err)
		}
		_, err = s.Append(ctx, stream, 0, stamp(t, reg, stream, 0, 1, "c"))
		if !errors.Is(err, es.ErrConcurrency) {
			t.Fatalf("append as new stream to an existing one: %v", err)
		}
		got, _ := s.Load(ctx, stream)
		if got.Version != 2 || len(got.Events) != 2 {
			t.Fatalf("after failed appends: version %d, %d events", got.Version, len(got.Events))
		}
	})

	t.Run("concurrent appends at one version: exactly one wins", func(t *testing.T) {
		t.Parallel()
		s, stream := newStores(t), newStream(t)
		const writers = 16
		var wins, conflicts atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				_, err := s.Append(ctx, stream, 0, stamp(t, reg, stream, 0, 2, fmt.Sprint("w", w)))
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, es.ErrConcurrency):
					conflicts.Add(1)
				default:
					t.Errorf("writer %d: %v", w, err)
				}
			}(w)
		}
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != writers-1 {
			t.Fatalf("%d wins, %d conflicts", wins.Load(), conflicts.Load())
		}
		got, _ := s.Load(ctx, stream)
		if got.Version != 2 || got.Events[0].CommandID != got.Events[1].CommandID {
			t.Fatalf("the winner's events are not whole: %+v", got.Events)
		}
	})

	t.Run("long streams load completely", func(t *testing.T) {
		t.Parallel()
		s, stream := newStores(t), newStream(t)
		const total = 250
		for v := int64(0); v < total; v += 50 {
			if _, err := s.Append(ctx, stream, v, stamp(t, reg, stream, v, 50, fmt.Sprint("c", v))); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Load(ctx, stream)
		if err != nil || got.Version != total || len(got.Events) != total {
			t.Fatalf("Load: version %d, %d events, %v", got.Version, len(got.Events), err)
		}
		for i, e := range got.Events {
			if e.Version != int64(i+1) {
				t.Fatalf("event %d has version %d", i, e.Version)
			}
		}
	})

	t.Run("append limits", func(t *testing.T) {
		t.Parallel()
		s, stream := newStores(t), newStream(t)
		_, err := s.Append(ctx, stream, 0, stamp(t, reg, stream, 0, 101, "big"))
		if es.ErrorCode(err) != es.Invalid {
			t.Fatalf("101 events in one append: %v", err)
		}
		wrong := stamp(t, reg, stream, 5, 1, "gap")
		if _, err := s.Append(ctx, stream, 0, wrong); err == nil {
			t.Fatal("an event with the wrong version was appended")
		}
		if got, _ := s.Load(ctx, stream); got.Version != 0 {
			t.Fatalf("refused appends wrote %d events", got.Version)
		}
	})

	t.Run("commands are found by id", func(t *testing.T) {
		t.Parallel()
		s, stream := newStores(t), newStream(t)
		envs := stamp(t, reg, stream, 0, 2, "cmd-1")
		if _, err := s.Append(ctx, stream, 0, envs); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, stream, 2, stamp(t, reg, stream, 2, 1, "cmd-2")); err != nil {
			t.Fatal(err)
		}
		rec, err := s.FindCommand(ctx, stream, "cmd-1")
		if err != nil || rec == nil || rec.Version != 2 || len(rec.EventIDs) != 2 || rec.EventIDs[0] != envs[0].EventID || rec.CommandHash != "hash-cmd-1" {
			t.Fatalf("FindCommand(cmd-1) = %+v, %v", rec, err)
		}
		if rec, err := s.FindCommand(ctx, stream, "unknown"); err != nil || rec != nil {
			t.Fatalf("FindCommand(unknown) = %+v, %v", rec, err)
		}
	})

	t.Run("snapshots shorten loading and never go back", func(t *testing.T) {
		t.Parallel()
		s, stream := newStores(t), newStream(t)
		if _, err := s.Append(ctx, stream, 0, stamp(t, reg, stream, 0, 5, "a")); err != nil {
			t.Fatal(err)
		}
		if snap, err := s.ReadSnapshot(ctx, stream); err != nil || snap != nil {
			t.Fatalf("ReadSnapshot before any: %+v, %v", snap, err)
		}
		snap := es.Snapshot{StreamID: stream, AggregateType: "storetest", SchemaVersion: 1, Version: 4, State: []byte(`{"n":4}`)}
		if err := s.WriteSnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
		older := snap
		older.Version, older.State = 2, []byte(`{"n":2}`)
		if err := s.WriteSnapshot(ctx, older); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, stream)
		if err != nil || got.Snapshot == nil || got.Snapshot.Version != 4 || len(got.Events) != 1 || got.Events[0].Version != 5 || got.Version != 5 {
			t.Fatalf("Load with snapshot = %+v, %v", got, err)
		}
		if string(got.Snapshot.State) != `{"n":4}` {
			t.Fatalf("snapshot state %s", got.Snapshot.State)
		}
	})
}
