package changefeed_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"orderctx/infra/changefeed"
)

// acquisitions is an instance's record of Options.Acquired calls, and a
// handler that checks each batch's lease was announced before it.
type acquisitions struct {
	mu     sync.Mutex
	tokens map[string]int
	stray  []string // batches of a lease never announced
	rec    *recorder
}

func (a *acquisitions) acquired(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens[token]++
}

func (a *acquisitions) handle(ctx context.Context, b changefeed.Batch) error {
	a.mu.Lock()
	if a.tokens[b.LeaseToken] == 0 {
		a.stray = append(a.stray, b.LeaseToken)
	}
	a.mu.Unlock()
	return a.rec.handle(ctx, b)
}

func (a *acquisitions) count() (leases int, stray []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.tokens), append([]string(nil), a.stray...)
}

// TestAcquiredAnnouncesEveryLeaseBeforeItsBatches: an instance hears of each
// lease it acquires before it delivers the lease's first batch, and so does
// the instance that takes the leases over from a dead one.
func TestAcquiredAnnouncesEveryLeaseBeforeItsBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	rec := newRecorder()
	first := &acquisitions{tokens: map[string]int{}, rec: rec}
	o := fastOptions(e, "acq", first.handle)
	o.Owner, o.Acquired = "first", first.acquired
	r := start(t, o)
	writeEvents(t, e.events, 8, 1, 3)
	waitFor(t, 10*time.Second, "the first instance's events", func() bool { return rec.count() == 24 })
	if leases, stray := first.count(); leases != 2 || len(stray) != 0 {
		t.Fatalf("first instance: %d leases announced, batches of unannounced leases %v", leases, stray)
	}
	r.kill(t)
	second := &acquisitions{tokens: map[string]int{}, rec: rec}
	o = fastOptions(e, "acq", second.handle)
	o.Owner, o.Acquired = "second", second.acquired
	start(t, o)
	writeEvents(t, e.events, 8, 4, 5)
	waitFor(t, 10*time.Second, "the second instance's events", func() bool { return rec.count() >= 40 })
	if leases, stray := second.count(); leases != 2 || len(stray) != 0 {
		t.Fatalf("second instance: %d leases announced, batches of unannounced leases %v", leases, stray)
	}
	rec.check(t, 8, 5, false)
}
