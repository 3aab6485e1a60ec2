//go:build linux

package store_test

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// BenchmarkDurableOverhead measures what durability adds to a write in the
// engine alone (no HTTP): the same creates and transactional batches of 5
// creates, from 16 parallel writers, in memory and durable. cpu-µs/op is the
// process's CPU time (user + system) per request, which is what the log's
// encoding, hand-offs and fdatasync cost (a compaction too, should one
// run: these writes only add items, so none does); the difference
// between the durable and the in-memory figure is durability's share.
func BenchmarkDurableOverhead(b *testing.B) {
	for _, size := range []int{1, 5} {
		for _, durable := range []bool{false, true} {
			name := "memory"
			if durable {
				name = "durable"
			}
			b.Run("items="+strconv.Itoa(size)+"/"+name, func(b *testing.B) {
				dir := ""
				if durable {
					dir = b.TempDir()
				}
				eng, c := openBenchStore(b, dir)
				var n atomic.Int64
				b.SetParallelism(8) // 16 writers on 2 processors
				cpu := processCPU()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						executeCreates(b, c, "s"+strconv.FormatInt(n.Add(1), 10), size)
					}
				})
				b.StopTimer()
				// Closing waits for a compaction under way: that work is
				// the writes' too.
				st := closeEngine(b, eng)
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N)/1e3, "cpu-µs/op")
				if st.Commits > 0 {
					b.ReportMetric(float64(st.Requests)/float64(st.Commits), "writes/commit")
					b.ReportMetric(float64(st.LogBytes)/float64(b.N), "log-bytes/op")
				}
			})
		}
	}
}

// closeEngine closes eng and returns its stats.
func closeEngine(b *testing.B, eng *store.Engine) store.Stats {
	b.Helper()
	if err := eng.Close(); err != nil {
		b.Fatal(err)
	}
	return eng.Stats()
}

// executeCreates creates size items in partition pk in one request.
func executeCreates(b *testing.B, c *store.Container, pk string, size int) {
	ops := make([]store.Op, size)
	for i := range ops {
		id := strconv.Itoa(i)
		ops[i] = store.Op{Kind: store.OpCreate, Body: []byte(`{"id":"` + id + `","pk":"` + pk +
			`","type":"order.item_added","data":{"productId":"p-1","quantity":2,"unitPrice":1250}}`)}
	}
	if res, ok := c.Execute(store.NewPartitionKey([]any{pk}), ops); !ok {
		b.Error(res[0].Err)
	}
}

// processCPU is this process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
