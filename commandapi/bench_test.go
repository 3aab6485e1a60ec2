package commandapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/orderapp"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore/memory"
)

// benchClients is the number of concurrent HTTP clients of the benchmarks.
const benchClients = 16

// BenchmarkPlaceOrder places orders through HTTP over loopback from 16
// concurrent clients and reports throughput (commands/s) and the 99th
// percentile latency (p99-ms). The stores: the embedded store in memory and
// durable on disk (the real event store and azcosmos client in both), durable
// with the state cache (a new order is then appended without a load), and the
// in-memory fake, which shows the cost of the HTTP layer alone.
func BenchmarkPlaceOrder(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) commandapi.Store
	}{
		{"embedded-memory", func(b *testing.B) commandapi.Store {
			svc, _, _ := openRealStore(b, cosmosdb.Config{Memory: true})
			return svc
		}},
		{"embedded-disk", func(b *testing.B) commandapi.Store {
			svc, _, _ := openRealStore(b, cosmosdb.Config{DataDir: b.TempDir()})
			return svc
		}},
		{"embedded-disk-cached", func(b *testing.B) commandapi.Store {
			_, store, _ := openRealStore(b, cosmosdb.Config{DataDir: b.TempDir()})
			return cachedService(store, orderRegistry(b))
		}},
		{"fake", func(b *testing.B) commandapi.Store {
			reg := orderRegistry(b)
			return orderapp.NewService(memory.New(reg), reg, es.SystemClock{}, nil)
		}},
	}
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			srv := httptest.NewServer(commandapi.New(sc.open(b), slogDiscard(), commandapi.Options{}).Handler())
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients * 2}}
			defer client.CloseIdleConnections()
			prefix := fmt.Sprintf("bench-%d-", time.Now().UnixNano())
			var (
				seq       atomic.Int64
				mu        sync.Mutex
				latencies = make([]time.Duration, 0, b.N)
			)
			// RunParallel starts parallelism*GOMAXPROCS goroutines.
			b.SetParallelism(max(1, (benchClients+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				local := make([]time.Duration, 0, 256)
				defer func() {
					mu.Lock()
					latencies = append(latencies, local...)
					mu.Unlock()
				}()
				for pb.Next() {
					body := orderBody(prefix + fmt.Sprint(seq.Add(1)))
					t0 := time.Now()
					req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/orders", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					local = append(local, time.Since(t0))
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if len(latencies) == 0 {
				return
			}
			slices.Sort(latencies)
			p99 := latencies[min(len(latencies)-1, len(latencies)*99/100)]
			b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "commands/s")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkDeepBody posts hostile bodies and reports what one refusal costs
// (B/op, allocs/op): 30,000 nested arrays (refused by the depth limit after
// 33 tokens) and a body nesting right up to the limit under 1,000-byte member
// names with 4,000 repeated members (walked to the end).
func BenchmarkDeepBody(b *testing.B) {
	wide := strings.Repeat(`{"`+strings.Repeat("k", 1000)+`":`, commandapi.MaxBodyDepth-1) +
		"{" + strings.Repeat(`"a":1,`, 4000) + `"a":1}` + strings.Repeat("}", commandapi.MaxBodyDepth-1)
	bodies := []struct{ name, body string }{
		{"nested-30000", deepArrays(30_000)},
		{"long-paths-at-the-limit", wide},
	}
	for _, bb := range bodies {
		b.Run(bb.name, func(b *testing.B) {
			f := newFixture(b, commandapi.Options{})
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				if rec := f.do(b, request{method: http.MethodPost, path: "/orders/o-1/cancel", body: bb.body}); rec.Code != http.StatusBadRequest {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
