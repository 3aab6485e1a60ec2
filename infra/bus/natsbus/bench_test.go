package natsbus_test

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/eventstore/memory"
)

// benchBatch is the size of a change-feed batch in the benchmarks.
const benchBatch = 100

// BenchmarkPublishBatch measures catching up through the whole publisher:
// each op is a batch of 100 decoded events (25 orders placed, edited, paid,
// shipped) mapped to messages and published to the embedded JetStream with
// file storage, waiting for every ack. Run it with -benchtime=10000x for a
// 1,000,000-event backlog.
func BenchmarkPublishBatch(b *testing.B) {
	bus, err := natsbus.Open(context.Background(), natsbus.Config{DataDir: b.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		b.Fatal(err)
	}
	// Every order is placed in its batch, so the handler never loads: an
	// empty store fails the benchmark if it tried.
	h, err := publisher.New(bus, memory.New(reg), publisher.Options{})
	if err != nil {
		b.Fatal(err)
	}
	batches := make(chan []es.Envelope, 64)
	go func() { // generate the feed ahead, as the change feed reader would
		for i := 0; i < b.N; i++ {
			batches <- orderEvents(b, benchBatch/4, fmt.Sprintf("b%d", i))
		}
	}()
	heapBefore := heapInUse()
	cpuBefore := cpuTime()
	b.ResetTimer()
	for range b.N {
		if err := h.Handle(context.Background(), <-batches); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b, cpuTime()-cpuBefore)
	b.ReportMetric(float64(heapInUse()-heapBefore)/float64(b.N*benchBatch), "heap-B/event")
}

// BenchmarkPublishMessages measures the bus alone: 100 ready messages per
// op, asynchronous publishes, one wait for all acks.
func BenchmarkPublishMessages(b *testing.B) {
	bus, err := natsbus.Open(context.Background(), natsbus.Config{DataDir: b.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	msgs := messages(b, orderEvents(b, benchBatch/4, "m"))
	cpuBefore := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		for j := range msgs {
			msgs[j].ID = fmt.Sprintf("m%d-%d", i, j)
		}
		if err := bus.Publish(context.Background(), msgs); err != nil {
			b.Fatal(err)
		}
	}
	report(b, cpuTime()-cpuBefore)
}

// report adds events/s and the process's CPU time (publisher and embedded
// server together) per event, which the shared machine's load disturbs less.
func report(b *testing.B, cpu time.Duration) {
	events := float64(b.N * benchBatch)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapInUse is the live heap after a collection: the embedded server's
// de-duplication ids and caches included.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
