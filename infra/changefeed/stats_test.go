package changefeed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"orderctx/infra/changefeed"
)

func TestStatsReportProgressAndLag(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	writeEvents(t, e.events, 1, 1, 100)
	rec := newRecorder()
	gate := make(chan struct{})
	o := fastOptions(e, "stats", func(ctx context.Context, b changefeed.Batch) error {
		if rec.count() == 10 {
			<-gate // the second batch waits
		}
		return rec.handle(ctx, b)
	})
	o.MaxItemsPerInvocation = 10
	r := start(t, o)
	var s changefeed.LeaseStats
	waitFor(t, 5*time.Second, "the first batch to be checkpointed", func() bool {
		st := r.p.Stats()
		if len(st.Leases) == 1 {
			s = st.Leases[0]
		}
		return s.Processed == 10
	})
	if !s.Held || s.Owner != r.p.Owner() || s.Continuation == "" || s.LagEvents != 90 || s.LagSeconds < 0 || s.LagSeconds > 60 || !s.CaughtUpAt.IsZero() {
		t.Fatalf("after 10 of 100 events the lease reports %+v; want held by %s, a checkpoint, 90 events behind", s, r.p.Owner())
	}
	close(gate)
	drainedAfter := time.Now()
	waitFor(t, 5*time.Second, "the feed to be drained", func() bool {
		s = r.p.Stats().Leases[0]
		return s.Processed == 100 && s.LagEvents == 0 && s.CaughtUpAt.After(drainedAfter)
	})
	if s.LagSeconds != 0 || s.EventsPerSecond <= 0 || !strings.HasPrefix(s.LeaseToken, "-") {
		t.Fatalf("drained lease reports %+v", s)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	ok := fastOptions(e, "opts", newRecorder().handle)
	tests := []struct {
		name   string
		change func(*changefeed.Options)
		want   []string
	}{
		{"nothing given", func(o *changefeed.Options) { *o = changefeed.Options{} }, []string{"Monitored", "Leases", "Handler"}},
		{"batch too large", func(o *changefeed.Options) { o.MaxItemsPerInvocation = 20000 }, []string{"MaxItemsPerInvocation"}},
		{"two starts", func(o *changefeed.Options) { o.StartFromTime = time.Now() }, []string{"StartFromTime"}},
		{"renewal too slow", func(o *changefeed.Options) { o.LeaseRenewInterval = time.Second }, []string{"LeaseRenewInterval"}},
		{"negative delay", func(o *changefeed.Options) { o.FeedPollDelay = -time.Second }, []string{"FeedPollDelay"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.change(&o)
			_, err := changefeed.New(o)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not name %s", err, w)
				}
			}
		})
	}
	if _, err := changefeed.New(ok); err != nil {
		t.Fatalf("good options refused: %v", err)
	}
}
