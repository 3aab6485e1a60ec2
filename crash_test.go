package main

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"orderctx/functions/verify/systemtest"
	"orderctx/infra/pgviews/pgtest"
)

// TestCrashLoopLosesNothing: the store, the command API, the query API and
// funchost run as separate processes under load (the crash harness's
// driver: clients running orders through place, add items, pay, ship or
// cancel); one component at a time is killed with SIGKILL at a random
// moment (after a random number of further acknowledged commands) and
// started again: 20 kills, 5 of each, in a random order. Afterwards every
// acknowledged order reads back from the query API at its acknowledged
// version, and verify passes against the acknowledgements: every command
// answered 2xx is in the store once, no event is missing, no view, copy row
// or integration event is missing, stale or doubled. The command API never
// answered 500, and no command was refused or given up.
//
// The long run: ORDERCTX_CRASH_KILLS=200 ORDERCTX_CRASH_CLIENTS=16 (see
// docs/reliability.md); ORDERCTX_CRASH_SEED repeats a run's schedule.
func TestCrashLoopLosesNothing(t *testing.T) {
	l := launcher(t)
	kills := int(envInt(t, "ORDERCTX_CRASH_KILLS", 20))
	seed := uint64(envInt(t, "ORDERCTX_CRASH_SEED", time.Now().UnixNano()))
	t.Logf("ORDERCTX_CRASH_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	sys := systemtest.Start(t, l, systemtest.Config{AppRoot: ".", PostgresDSN: pgtest.Optional(t)})
	acks := filepath.Join(t.TempDir(), "acks.jsonl")
	load := systemtest.StartCrashLoad(t, systemtest.LoadConfig{Base: sys.URL(systemtest.CommandAPI), AcksFile: acks,
		Clients: int(envInt(t, "ORDERCTX_CRASH_CLIENTS", 6)), Prefix: "crash"})
	schedule := make([]string, kills)
	for i := range schedule {
		schedule[i] = systemtest.Components[i%len(systemtest.Components)]
	}
	rng.Shuffle(len(schedule), func(i, j int) { schedule[i], schedule[j] = schedule[j], schedule[i] })
	start := time.Now()
	for _, c := range schedule {
		next := load.Acked() + 1 + rng.Int64N(30)
		systemtest.Await(t, time.Minute, "commands acknowledged between kills", func() bool { return load.Acked() >= next })
		sys.Crash(c)
	}
	next := load.Acked() + 20
	systemtest.Await(t, time.Minute, "commands acknowledged after the last restart", func() bool { return load.Acked() >= next })
	stats := load.Stop()
	loadTime := time.Since(start)
	if len(stats.Refused) > 0 || stats.Statuses[500] > 0 || stats.Bare503 > 0 {
		t.Fatalf("refused or given up: %d, the first %q; statuses %v (503 without Retry-After: %d)", len(stats.Refused), stats.Refused[:min(len(stats.Refused), 3)], stats.Statuses, stats.Bare503)
	}
	out := sys.AwaitVerified(acks, time.Minute)
	orders := awaitQueryVersions(t, sys.URL(systemtest.QueryAPI), readAcks(t, acks))
	t.Logf("%d kills (%v) in %v: %d commands acknowledged on %d orders (%d placed), statuses %v, %d requests without an answer, %d replays of resent commands; %s",
		kills, sys.Starts, loadTime.Round(time.Second), stats.Acked, orders, stats.Orders, stats.Statuses, stats.Transport, stats.Replayed, out)
}
