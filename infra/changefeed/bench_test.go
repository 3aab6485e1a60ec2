package changefeed_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/changefeed"
	"orderctx/infra/cosmosemu"
)

// backlogEvents is the size of the backlog a drain benchmark reads: 1,000
// streams of 100 events, about 330 bytes each, on 4 physical ranges.
const backlogEvents = 100_000

// writeBacklog fills the events container with transactional batches of 100.
func writeBacklog(b *testing.B, events *azcosmos.ContainerClient) {
	b.Helper()
	ctx := context.Background()
	for s := range backlogEvents / 100 {
		stream := "order-" + strconv.Itoa(s)
		batch := events.NewTransactionalBatch(azcosmos.NewPartitionKeyString(stream))
		for v := 1; v <= 100; v++ {
			batch.CreateItem([]byte(fmt.Sprintf(`{"id":"%s:%d","streamId":"%s","version":%d,"type":"order.item_added",`+
				`"schemaVersion":1,"eventId":"e-%d-%d","commandId":"c-%d","correlationId":"c-%d","causationId":"c-%d",`+
				`"occurredAt":"2026-01-02T03:04:05Z","data":{"productId":"p-%d","name":"Pen","quantity":2,"unitPrice":150}}`,
				stream, v, stream, v, s, v, s, s, s, v)), nil)
		}
		resp, err := events.ExecuteTransactionalBatch(ctx, batch, nil)
		if err != nil || !resp.Success {
			b.Fatalf("backlog batch %d: %v", s, err)
		}
	}
}

// BenchmarkDrainBacklog measures how fast one processor with a handler that
// does nothing reads a backlog of 100,000 events on 4 ranges from the
// beginning (fresh leases each round), in process (in memory, or durable:
// every checkpoint waits for the store's fdatasync) and over HTTP on loopback.
func BenchmarkDrainBacklog(b *testing.B) {
	e := newEnv(b, 4)
	writeBacklog(b, e.events)
	durable := newEnvWith(b, cosmosemu.Config{DefaultPartitions: 4, Dir: b.TempDir()})
	writeBacklog(b, durable.events)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln, nil) }()
	b.Cleanup(func() { cancel(); <-served })
	remote := newClient(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, "http://"+ln.Addr().String()+"/")
	db, _ := remote.NewDatabase("db")
	overHTTP := &env{}
	overHTTP.events, _ = db.NewContainer("events")
	overHTTP.leases, _ = db.NewContainer("leases")

	cases := []struct {
		name  string
		env   *env
		batch int
	}{
		{"in-process/batch=100", e, 100},
		{"in-process/batch=1000", e, 1000},
		{"in-process/durable/batch=100", durable, 100},
		{"http/batch=100", overHTTP, 100},
	}
	round := 0
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var total time.Duration
			cpu0 := cpuTime()
			for range b.N {
				round++
				total += drainOnce(b, tc.env, "bench"+strconv.Itoa(round), tc.batch)
			}
			events := float64(backlogEvents * b.N)
			b.ReportMetric(events/total.Seconds(), "events/s")
			// The store runs in this process too, so this is processor,
			// SDK and server together: a bound on events/s per core.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/events, "cpu-µs/event")
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drainOnce runs a processor from the beginning until it has delivered the
// whole backlog, and returns how long that took.
func drainOnce(b *testing.B, e *env, prefix string, batch int) time.Duration {
	var n atomic.Int64
	o := fastOptions(e, prefix, func(_ context.Context, bt changefeed.Batch) error {
		n.Add(int64(len(bt.Documents)))
		return nil
	})
	o.MaxItemsPerInvocation = batch
	p, err := changefeed.New(o)
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	for n.Load() < backlogEvents {
		time.Sleep(time.Millisecond)
	}
	took := time.Since(began)
	if err := p.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if got := n.Load(); got != backlogEvents {
		b.Fatalf("delivered %d events, want %d", got, backlogEvents)
	}
	return took
}

// BenchmarkIdleFeed measures what a processor costs while the feed is quiet:
// 4 ranges, each poll a 304 from the store. Reported as the share of one
// core and per poll (polls counted at the transport).
func BenchmarkIdleFeed(b *testing.B) {
	cases := []struct {
		name      string
		poll, max time.Duration
	}{
		{"poll=5ms", 5 * time.Millisecond, 0},
		{"poll=20ms", 20 * time.Millisecond, 0},
		{"poll=5ms..200ms", 5 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			e, polls := newCountingEnv(b, 4)
			o := fastOptions(e, "idle", func(context.Context, changefeed.Batch) error { return nil })
			o.FeedPollDelay, o.MaxFeedPollDelay = tc.poll, tc.max
			o.LeaseRenewInterval, o.LeaseExpirationInterval, o.LeaseAcquireInterval = 17*time.Second, time.Minute, 13*time.Second
			r := start(b, o)
			waitFor(b, 5*time.Second, "the leases", func() bool { return len(r.p.Stats().Leases) == 4 })
			time.Sleep(time.Second) // past the first reads and any growth of the delay
			b.ResetTimer()
			cpu0, t0, n0 := cpuTime(), time.Now(), polls.Load()
			for range b.N {
				time.Sleep(100 * time.Millisecond)
			}
			cpu, wall, n := cpuTime()-cpu0, time.Since(t0), polls.Load()-n0
			b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%-of-a-core")
			b.ReportMetric(float64(n)/wall.Seconds(), "polls/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(max(n, 1)), "cpu-µs/poll")
		})
	}
}
