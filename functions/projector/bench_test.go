package projector_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"orderctx/domain/order/ordertest"
	"orderctx/functions/consumertest"
	"orderctx/functions/projector"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/deadletters"
	"orderctx/infra/viewstore"
)

// BenchmarkProjectorCatchUp projects a backlog of b.N events (order
// lifecycles of about 7 events) in batches of 100, through the parking
// consumer, onto the embedded store in-process (in memory), and reports
// events per second of wall time and the process's CPU time per event
// (projector, SDK and store together): on a shared machine the wall rate
// depends on the neighbours, the CPU per event does not, and 2 cores /
// CPU per event is what the machine sustains alone ("events/s-2cpu").
// "interleaved": 1,000 orders under way at once, so a batch touches ~100
// orders (a write per event, the worst case); "per-order": each order's
// events come together (a write per ~7 events); "durable": the store keeps
// its data on disk, each write waiting for its group's fdatasync.
func BenchmarkProjectorCatchUp(b *testing.B) {
	for _, shape := range []struct {
		name    string
		window  int
		durable bool
	}{{"interleaved", 1000, false}, {"per-order", 1, false}, {"interleaved-durable", 1000, true}} {
		b.Run(shape.name, func(b *testing.B) {
			reg := ordertest.Registry(b)
			docs := consumertest.Backlog(b, reg, 1, b.N, shape.window)
			var conn *cosmosdb.Conn
			if shape.durable {
				conn = cosmosdbtest.Durable(b)
			} else {
				conn = cosmosdbtest.Embedded(b, 1)
			}
			c, err := projector.NewConsumer(projector.Config{Views: viewstore.New(conn)}, reg, deadletters.New(conn))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < len(docs); i += 100 {
				if _, err := c.Handle(ctx, docs[i:min(i+100, len(docs))]); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime() - cpu
			b.StopTimer()
			perEvent := cpu.Seconds() / float64(len(docs))
			b.ReportMetric(float64(len(docs))/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(perEvent*1e6, "cpu-µs/event")
			b.ReportMetric(2/perEvent, "events/s-2cpu")
		})
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
