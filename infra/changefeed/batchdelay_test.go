package changefeed_test

import (
	"testing"
	"time"
)

// batchesAfterOne delivers s0@1 alone, then writes s0@2..4 20 ms apart (a
// steady trickle, slower than the 5 ms polls) and returns how many batches
// the four events took.
func batchesAfterOne(t *testing.T, delay time.Duration) int {
	t.Helper()
	e := newEnv(t, 1)
	rec := newRecorder()
	o := fastOptions(e, "gather", rec.handle)
	o.BatchDelay = delay
	start(t, o)
	writeEvents(t, e.events, 1, 1, 1)
	waitFor(t, 10*time.Second, "the first event", func() bool { return rec.count() == 1 })
	for v := 2; v <= 4; v++ {
		time.Sleep(20 * time.Millisecond) // the trickle's pace, not a wait for something
		writeEvents(t, e.events, 1, v, v)
	}
	waitFor(t, 10*time.Second, "the next three events", func() bool { return rec.count() == 4 })
	rec.check(t, 1, 4, true)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.batches
}

// TestBatchDelayGathersTheNextBatch: after a short page the worker waits
// BatchDelay before reading again, so events written during the wait come
// in one batch rather than one by one as the 5 ms polls find them (three
// batches without the delay).
func TestBatchDelayGathersTheNextBatch(t *testing.T) {
	t.Parallel()
	if n := batchesAfterOne(t, 2*time.Second); n != 2 {
		t.Fatalf("%d batches with a 2 s batch delay, want 2: the first event, then the three written during the wait", n)
	}
}

// TestBatchDelayNotAfterAFullPage: a full page means more is waiting, so a
// backlog is read page after page without the delay.
func TestBatchDelayNotAfterAFullPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	writeEvents(t, e.events, 1, 1, 9)
	rec := newRecorder()
	o := fastOptions(e, "full", rec.handle)
	o.MaxItemsPerInvocation, o.BatchDelay = 3, time.Hour
	start(t, o)
	waitFor(t, 10*time.Second, "the backlog of nine events in three full pages", func() bool { return rec.count() == 9 })
	rec.check(t, 1, 9, true)
}
