package changefeed_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/infra/changefeed"
)

func TestSingleInstanceDeliversEveryEventOnceInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	writeEvents(t, e.events, 20, 1, 10) // a backlog
	rec := newRecorder()
	o := fastOptions(e, "single", rec.handle)
	o.MaxItemsPerInvocation = 7
	var maxBatch int
	var mu sync.Mutex
	o.Handler = func(ctx context.Context, b changefeed.Batch) error {
		mu.Lock()
		maxBatch = max(maxBatch, len(b.Documents))
		mu.Unlock()
		return rec.handle(ctx, b)
	}
	start(t, o)
	writeEvents(t, e.events, 20, 11, 20) // and events written while it runs
	waitFor(t, 10*time.Second, "400 events", func() bool { return rec.count() == 400 })
	rec.check(t, 20, 20, true)
	if maxBatch > 7 {
		t.Fatalf("a batch of %d documents, more than MaxItemsPerInvocation 7", maxBatch)
	}
	if len(rec.owners) != 4 {
		t.Fatalf("deliveries came from %d leases, want one per range (4)", len(rec.owners))
	}
}

func TestFailedBatchIsDeliveredAgainFromTheCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	writeEvents(t, e.events, 1, 1, 12)
	rec := newRecorder()
	var mu sync.Mutex
	var attempts []int
	var firstIDs []string
	o := fastOptions(e, "retry", nil)
	o.MaxItemsPerInvocation = 5
	o.Handler = func(ctx context.Context, b changefeed.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		ids := docIDs(b)
		if len(attempts) < 4 {
			attempts = append(attempts, b.Attempt)
			if firstIDs == nil {
				firstIDs = ids
			} else if !slices.Equal(ids, firstIDs) {
				t.Errorf("attempt %d delivered %v, the first delivered %v", b.Attempt, ids, firstIDs)
			}
			if len(attempts) < 4 {
				return errors.New("not now")
			}
		}
		return rec.handle(ctx, b)
	}
	start(t, o)
	waitFor(t, 5*time.Second, "12 events", func() bool { return rec.count() == 12 })
	rec.check(t, 1, 12, true)
	if !slices.Equal(attempts, []int{1, 2, 3, 4}) || len(firstIDs) != 5 || firstIDs[0] != "s0:1" {
		t.Fatalf("attempts %v of batch %v; want 1..4 of s0:1..s0:5", attempts, firstIDs)
	}
}

func TestCheckpointWaitsForTheHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	writeEvents(t, e.events, 1, 1, 3)
	calls := make(chan changefeed.Batch, 100)
	o := fastOptions(e, "hold", func(ctx context.Context, b changefeed.Batch) error {
		calls <- b
		return errors.New("refused")
	})
	r := start(t, o)
	for range 3 {
		<-calls // three refusals
	}
	for _, s := range r.p.Stats().Leases {
		if s.Continuation != "" || s.Processed != 0 || s.Failures == 0 {
			t.Fatalf("after refusals the lease reports %+v; want no checkpoint and failures", s)
		}
	}
	for _, d := range leaseDocs(t, e.leases, "hold") {
		if d["ContinuationToken"] != nil {
			t.Fatalf("a refused batch was checkpointed: %v", d)
		}
	}
}

func TestRestartResumesAfterTheCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	writeEvents(t, e.events, 6, 1, 5)
	first := newRecorder()
	r := start(t, fastOptions(e, "resume", first.handle))
	waitFor(t, 5*time.Second, "the first 30 events", func() bool { return first.count() == 30 })
	r.shutdown(t)
	for _, d := range leaseDocs(t, e.leases, "resume") {
		if d["Owner"] != nil || d["ContinuationToken"] == nil {
			t.Fatalf("after Shutdown a lease reads %v; want no owner and a checkpoint", d)
		}
	}
	writeEvents(t, e.events, 6, 6, 8)
	second := newRecorder()
	start(t, fastOptions(e, "resume", second.handle))
	waitFor(t, 5*time.Second, "the 18 new events", func() bool { return second.count() == 18 })
	second.mu.Lock()
	defer second.mu.Unlock()
	for id, n := range second.seen {
		if n != 1 || id[len(id)-1] < '6' {
			t.Fatalf("after the restart %s was delivered %d times; only versions 6..8 once each are new", id, n)
		}
	}
}

func TestWhereANewLeaseStarts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		configure func(*changefeed.Options)
		wantOld   bool
	}{
		{"beginning", func(o *changefeed.Options) {}, true},
		{"now", func(o *changefeed.Options) { o.StartFromBeginning = false }, false},
		{"an hour ago", func(o *changefeed.Options) {
			o.StartFromBeginning, o.StartFromTime = false, time.Now().Add(-time.Hour)
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 3)
			writeEvents(t, e.events, 9, 1, 2)
			rec := newRecorder()
			o := fastOptions(e, "start", rec.handle)
			tc.configure(&o)
			r := start(t, o)
			waitFor(t, 5*time.Second, "every lease to have a position", func() bool {
				st := r.p.Stats().Leases
				for _, s := range st {
					if s.Continuation == "" {
						return false
					}
				}
				return len(st) == 3
			})
			writeEvents(t, e.events, 9, 3, 3)
			want := 9
			if tc.wantOld {
				want = 27
			}
			waitFor(t, 5*time.Second, "the new events", func() bool {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				for s := range 9 {
					if rec.seen[streamName(s)+":3"] == 0 {
						return false
					}
				}
				return true
			})
			if got := rec.count(); got != want {
				t.Fatalf("%d events delivered, want %d", got, want)
			}
		})
	}
}

func docIDs(b changefeed.Batch) []string {
	var ids []string
	for _, d := range b.Documents {
		var e event
		_ = json.Unmarshal(d, &e)
		ids = append(ids, e.ID)
	}
	return ids
}

func TestAQuietFeedIsPolledLessWithAGrowingDelay(t *testing.T) {
	t.Parallel()
	run := func(maxDelay time.Duration) (*atomic.Int64, *env, *recorder) {
		e, reads := newCountingEnv(t, 1)
		rec := newRecorder()
		o := fastOptions(e, "quiet", rec.handle)
		o.FeedPollDelay, o.MaxFeedPollDelay = 5*time.Millisecond, maxDelay
		r := start(t, o)
		waitFor(t, 5*time.Second, "the lease's first read", func() bool {
			st := r.p.Stats().Leases
			return len(st) == 1 && st[0].Held && st[0].Continuation != ""
		})
		return reads, e, rec
	}
	// Growing from 5 ms to 100 ms, the delays reach 100 ms within 0.2 s of
	// the first read; in the next 0.5 s there is room for 5 or 6 reads (a
	// busy machine only makes fewer), where a fixed 5 ms delay makes 100.
	reads, e, rec := run(100 * time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	n0 := reads.Load()
	time.Sleep(500 * time.Millisecond) // a quiet feed, watched for a while
	growing := reads.Load() - n0
	if growing > 8 {
		t.Fatalf("%d reads in 0.5 s with a delay grown to 100 ms", growing)
	}
	fixed, _, _ := run(0)
	waitFor(t, 5*time.Second, "a fixed 5 ms delay to read many times more", func() bool { return fixed.Load() > 30 })
	writeEvents(t, e.events, 1, 1, 1)
	waitFor(t, 5*time.Second, "an event after the quiet time", func() bool { return rec.count() == 1 })
}

func TestShutdownBeforeRunLeavesNothingHeld(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	p, err := changefeed.New(fastOptions(e, "early", newRecorder().handle))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Run: %v", err)
	}
	if err := p.Run(context.Background()); err != nil {
		t.Fatalf("Run after Shutdown: %v", err)
	}
	for _, d := range leaseDocs(t, e.leases, "early") {
		if d["Owner"] != nil {
			t.Fatalf("a lease is held after Run returned: %v", d)
		}
	}
}
