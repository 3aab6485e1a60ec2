package changefeed_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/infra/changefeed"
	"orderctx/infra/cosmosemu"
)

// balanced says whether the n owners each hold total/n leases (rounded
// either way) and every lease has an owner.
func balanced(got map[string]int, total, n int) bool {
	if got[""] > 0 || len(got) != n {
		return false
	}
	sum := 0
	for _, c := range got {
		if c < total/n || c > (total+n-1)/n {
			return false
		}
		sum += c
	}
	return sum == total
}

// feeder writes versions of streams in the background until stopped, and
// says how far it got.
type feeder struct {
	streams int
	written atomic.Int64 // versions completed for every stream
	stop    chan struct{}
	done    chan struct{}
}

func feed(t *testing.T, e *env, streams int) *feeder {
	f := &feeder{streams: streams, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for v := 1; ; v++ {
			select {
			case <-f.stop:
				return
			default:
			}
			for s := range streams {
				if err := writeEvent(e.events, streamName(s), v); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
			f.written.Store(int64(v))
			time.Sleep(time.Millisecond) // a steady trickle, not a flood
		}
	}()
	return f
}

// halt stops the writer and returns the last version written to every stream.
func (f *feeder) halt() int {
	close(f.stop)
	<-f.done
	return int(f.written.Load())
}

func TestInstancesShareTheRangesEvenly(t *testing.T) {
	t.Parallel()
	tests := []struct{ instances, partitions int }{{2, 4}, {3, 8}}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d instances on %d ranges", tc.instances, tc.partitions), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.partitions)
			rec := newRecorder()
			f := feed(t, e, 16)
			for range tc.instances {
				start(t, fastOptions(e, "share", rec.handle))
			}
			waitFor(t, 10*time.Second, "balanced leases", func() bool {
				return balanced(owners(t, e.leases, "share"), tc.partitions, tc.instances)
			})
			last := f.halt()
			waitFor(t, 10*time.Second, "every event", func() bool { return rec.count() == 16*last })
			rec.check(t, 16, last, false)
		})
	}
}

func TestLeasesOfADeadInstanceAreTakenOverAfterExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 6)
	rec := newRecorder()
	f := feed(t, e, 12)
	a := start(t, fastOptions(e, "takeover", rec.handle))
	b := start(t, fastOptions(e, "takeover", rec.handle))
	waitFor(t, 10*time.Second, "balanced leases", func() bool {
		return balanced(owners(t, e.leases, "takeover"), 6, 2)
	})
	a.kill(t) // no lease is released
	killed := time.Now()
	if got := owners(t, e.leases, "takeover")[a.p.Owner()]; got != 3 {
		t.Fatalf("the dead instance still holds %d leases in the store, want its 3", got)
	}
	waitFor(t, 10*time.Second, "the survivor to hold every lease", func() bool {
		return owners(t, e.leases, "takeover")[b.p.Owner()] == 6
	})
	if waited := time.Since(killed); waited < 400*time.Millisecond {
		t.Fatalf("leases taken %v after the kill, before they expired (500 ms)", waited)
	}
	last := f.halt()
	waitFor(t, 10*time.Second, "every event", func() bool { return rec.count() == 12*last })
	rec.check(t, 12, last, false)
}

func TestShutdownReleasesLeasesForOthersAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	rec := newRecorder()
	slow := func(o changefeed.Options) changefeed.Options {
		// Leases that would take a minute to expire: only a release frees them.
		o.LeaseExpirationInterval, o.LeaseRenewInterval = time.Minute, 10*time.Second
		return o
	}
	a := start(t, slow(fastOptions(e, "release", rec.handle)))
	b := start(t, slow(fastOptions(e, "release", rec.handle)))
	waitFor(t, 10*time.Second, "balanced leases", func() bool {
		return balanced(owners(t, e.leases, "release"), 4, 2)
	})
	a.shutdown(t)
	waitFor(t, 5*time.Second, "the other instance to hold every lease", func() bool {
		return owners(t, e.leases, "release")[b.p.Owner()] == 4
	})
	writeEvents(t, e.events, 8, 1, 3)
	waitFor(t, 5*time.Second, "every event", func() bool { return rec.count() == 24 })
	rec.check(t, 8, 3, true)
}

// Instances racing for one lease at start: the If-Match on every lease write
// lets exactly one of them win, and only the winner ever delivers.
func TestOneLeaseHasOneOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	writeEvents(t, e.events, 4, 1, 25)
	var mu sync.Mutex
	delivered := map[string]int{}
	var total atomic.Int64
	for i := range 5 {
		name := "instance-" + strconv.Itoa(i)
		o := fastOptions(e, "one", func(_ context.Context, b changefeed.Batch) error {
			mu.Lock()
			delivered[name] += len(b.Documents)
			mu.Unlock()
			total.Add(int64(len(b.Documents)))
			return nil
		})
		o.Owner, o.MaxItemsPerInvocation = name, 10
		o.LeaseExpirationInterval = time.Minute // no expiry, so no legitimate hand-over
		start(t, o)
	}
	waitFor(t, 5*time.Second, "100 events", func() bool { return total.Load() == 100 })
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != 1 {
		t.Fatalf("%d instances delivered from the single lease: %v", len(delivered), delivered)
	}
}

// Throttling and unavailability of the lease container and of change feed
// reads (beyond what the SDK retries) cost redeliveries, never events.
func TestTransientStoreErrorsLoseNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	rec := newRecorder()
	for _, f := range []cosmosemu.Fault{
		{PathContains: "colls/leases", Rate: 0.1, Status: http.StatusServiceUnavailable},
		{PathContains: "colls/leases", Rate: 0.05, Status: http.StatusTooManyRequests},
		{Header: "A-IM", Rate: 0.1, Status: http.StatusServiceUnavailable},
		{Header: "A-IM", Rate: 0.01, Status: http.StatusRequestTimeout}, // the SDK waits 1 s to retry these
	} {
		e.srv.Faults().Add(f)
	}
	start(t, fastOptions(e, "faults", rec.handle))
	start(t, fastOptions(e, "faults", rec.handle))
	f := feed(t, e, 12)
	waitFor(t, 10*time.Second, "events", func() bool { return rec.count() > 1000 })
	last := f.halt()
	waitFor(t, 15*time.Second, "every event", func() bool { return rec.count() == 12*last })
	rec.check(t, 12, last, false)
	if e.srv.Faults().Fired() == 0 {
		t.Fatal("no fault fired")
	}
}
