package main

import (
	"path/filepath"
	"testing"
	"time"

	"orderctx/functions/verify/systemtest"
	"orderctx/infra/pgviews/pgtest"
)

// TestFaultsLoseNothing: under load, the store (a separate process) answers
// with injected faults, one kind after the other, on the events container
// that the command API appends to and every consumer reads: 429 with a
// retry-after on half the requests, 503 on every request until the command
// API has answered 503 itself, 408 after a delay on half the requests, 408
// after the write was done on a third of the writes (the client cannot tell
// it from a write that did not happen); then a physical partition of the
// events container splits. Each phase lasts
// until further commands have been acknowledged. Afterwards verify passes
// against the acknowledgements (nothing lost, nothing applied twice), every
// acknowledged order reads back from the query API at its version, and the
// command API answered only 2xx and 503 with Retry-After: never a 500,
// never a refusal.
func TestFaultsLoseNothing(t *testing.T) {
	l := launcher(t)
	sys := systemtest.Start(t, l, systemtest.Config{AppRoot: ".", PostgresDSN: pgtest.Optional(t)})
	acks := filepath.Join(t.TempDir(), "acks.jsonl")
	load := systemtest.StartCrashLoad(t, systemtest.LoadConfig{Base: sys.URL(systemtest.CommandAPI), AcksFile: acks,
		Clients: 6, Prefix: "faults"})
	progress := func(what string, n int64) {
		t.Helper()
		next := load.Acked() + n
		systemtest.Await(t, time.Minute, what, func() bool { return load.Acked() >= next })
	}
	progress("commands acknowledged before any fault", 20)
	phases := []struct {
		name string
		rule string
		// until holds when the phase has done its part.
		until func(systemtest.LoadStats) bool
	}{
		{name: "429 with retry-after", rule: `{"pathContains":"/colls/events/docs","status":429,"retryAfterMs":20,"rate":0.5}`},
		{name: "503", rule: `{"pathContains":"/colls/events/docs","status":503}`,
			until: func(s systemtest.LoadStats) bool { return s.RetryAfter503 > 0 }},
		{name: "408 after 20 ms", rule: `{"pathContains":"/colls/events/docs","status":408,"latencyMs":20,"rate":0.5}`},
		// The append is done, and then answered 408: the client's resend of
		// the command must be recognised, not applied again.
		{name: "408 after the write", rule: `{"method":"POST","pathContains":"/colls/events/docs","status":408,"after":true,"rate":0.3}`,
			until: func(s systemtest.LoadStats) bool { return s.Replayed >= 5 }},
	}
	for _, p := range phases {
		sys.Faults([]byte(p.rule))
		if p.until != nil {
			systemtest.Await(t, time.Minute, "the command API's answers under "+p.name, func() bool { return p.until(load.Stats()) })
		} else {
			progress("commands acknowledged under "+p.name, 30)
		}
		sys.Faults(nil)
		progress("commands acknowledged after "+p.name, 10)
	}
	sys.Split("events", "0")
	progress("commands acknowledged after the split", 30)
	if n := sys.FaultsInjected(); n < len(phases) {
		t.Fatalf("the store injected %d faults in %d phases", n, len(phases))
	}
	stats := load.Stop()
	for status, n := range stats.Statuses {
		if status/100 != 2 && status != 503 {
			t.Errorf("the command API answered %d %d times", status, n)
		}
	}
	if len(stats.Refused) > 0 || stats.Bare503 > 0 || stats.RetryAfter503 == 0 {
		t.Fatalf("refused or given up: %d %q; 503 with Retry-After %d, without %d; statuses %v",
			len(stats.Refused), stats.Refused[:min(len(stats.Refused), 3)], stats.RetryAfter503, stats.Bare503, stats.Statuses)
	}
	out := sys.AwaitVerified(acks, time.Minute)
	orders := awaitQueryVersions(t, sys.URL(systemtest.QueryAPI), readAcks(t, acks))
	t.Logf("faults: %d phases and a split, %d faults injected: %d commands acknowledged on %d orders, statuses %v (503 with Retry-After: %d, replays of resent commands: %d); %s",
		len(phases), sys.FaultsInjected(), stats.Acked, orders, stats.Statuses, stats.RetryAfter503, stats.Replayed, out)
}
