//go:build unix

package check_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"orderctx/functions/verify/check"
	"orderctx/functions/verify/verifytest"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/feedreader"
)

// BenchmarkVerify checks a store of 200,000 events (ORDERCTX_VERIFY_EVENTS
// to change it) on the in-memory embedded store and an embedded JetStream
// server: events/s of the whole check, and the heap the check holds per
// event once every event is read and folded (B/event), and the CPU time of
// the whole process per event (cpu-µs/event: the check, the embedded store
// serving its feeds and the NATS server; steadier than events/s on a shared
// machine).
func BenchmarkVerify(b *testing.B) {
	n := 200_000
	if s := os.Getenv("ORDERCTX_VERIFY_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	conn := cosmosdbtest.Embedded(b, 1)
	bus, err := natsbus.Open(context.Background(), natsbus.Config{Memory: true, Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bus.Close() })
	start := time.Now()
	events, orders := verifytest.Fill(b, conn, bus, n, 1)
	b.Logf("filled %d events of %d orders in %v", events, orders, time.Since(start))
	var held float64
	for b.Loop() {
		cpu := cpuTime()
		r, err := check.Run(context.Background(), sources(b, conn, bus), check.Options{Progress: heapAfterEvents(&held)})
		b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(events), "cpu-µs/event")
		if err != nil {
			b.Fatal(err)
		}
		if !r.OK() || r.Counts.Events != events {
			b.Fatalf("%d events, differences %v", r.Counts.Events, r.Differences)
		}
		b.ReportMetric(r.EventsPerSecond(), "events/s")
		for _, p := range r.Phases {
			b.ReportMetric(p.Elapsed.Seconds(), p.Name+"-s")
		}
	}
	b.ReportMetric(held/float64(events), "B/event")
}

func sources(b *testing.B, conn *cosmosdb.Conn, bus *natsbus.Bus) check.Sources {
	r, err := natsbus.OpenReader(context.Background(), natsbus.Config{URL: bus.URL()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	return check.Sources{
		Events:    feedreader.New(conn, cosmosdb.Events, 0),
		Snapshots: feedreader.New(conn, cosmosdb.Snapshots, 0),
		Letters:   feedreader.New(conn, cosmosdb.DeadLetters, 0),
		Views:     []check.ViewSource{{Name: cosmosdb.Views, Feed: feedreader.New(conn, cosmosdb.Views, 0)}},
		Bus:       r,
	}
}

// heapAfterEvents measures, as the views phase starts (every event read and
// folded, nothing of the views read yet), the live heap beyond what it was
// when the check started: what the check holds for the events.
func heapAfterEvents(held *float64) func(string, int) {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	base, measured := m.HeapAlloc, false
	return func(phase string, _ int) {
		if measured || phase != "views:"+cosmosdb.Views {
			return
		}
		measured = true
		runtime.GC()
		runtime.ReadMemStats(&m)
		*held = float64(m.HeapAlloc) - float64(base)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
