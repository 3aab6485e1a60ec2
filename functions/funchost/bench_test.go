package funchost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderapp"
	"orderctx/functions"
	"orderctx/functions/consumers"
	"orderctx/functions/consumertest"
	"orderctx/functions/funcapp"
	"orderctx/functions/funchost"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/cosmosemu"
	"orderctx/infra/eventstore"
)

// BenchmarkFreshness measures how long after a command is accepted its view
// is written in the views container, with everything in one process as
// `orderctx dev` runs it: the embedded store, funchost hosting the app's three
// functions in process with its default local polling (5 ms, growing to
// 25 ms while the feed is quiet), and the embedded broker. Commands go
// through the application service (what the command API calls) at a
// steady rate, on random orders of a window of 100; each op is one command
// that appended events. "Accepted" is when the service returns; "written" is
// when the store answers the projector's write of a view at or past the
// command's version (observed in the projector's HTTP transport).
func BenchmarkFreshness(b *testing.B) {
	for _, tc := range []struct {
		name    string
		rate    int
		durable bool
	}{{"memory/100-per-s", 100, false}, {"memory/500-per-s", 500, false}, {"durable/100-per-s", 100, true}} {
		b.Run(tc.name, func(b *testing.B) {
			conn := cosmosdbtest.Embedded(b, 1)
			if tc.durable {
				conn = cosmosdbtest.Durable(b)
			}
			watch := &viewWrites{written: map[string][]viewWrite{}}
			host := hostInProcess(b, loadApp(b), watchedConn(b, conn, watch), b.TempDir())
			runHost(b, host)
			accepted := steadyCommands(b, consumertest.On(b, conn), tc.rate, b.N)
			b.StopTimer()
			lat := watch.latencies(b, accepted)
			b.ReportMetric(percentile(lat, 50), "p50-ms")
			b.ReportMetric(percentile(lat, 95), "p95-ms")
			b.ReportMetric(percentile(lat, 99), "p99-ms")
			b.ReportMetric(percentile(lat, 100), "max-ms")
		})
	}
}

// BenchmarkCatchUp measures one function draining a backlog of b.N events
// (run with -benchtime 1000000x), alone under its own lease prefix, hosted
// in process by funchost as `orderctx dev` hosts it, on the embedded store
// in process (in memory, one physical partition as dev creates it). The
// backlog is written first through the event store: random order
// lifecycles (~7 events each), 1,000 orders under way at once and one to
// three events per append, so a batch of the feed holds events of ~50–100
// orders, as a busy system's feed does. It reports events/s of wall time and
// the process's CPU time per event (funchost, consumer, SDK, store, broker).
func BenchmarkCatchUp(b *testing.B) {
	for _, fn := range []string{consumers.ProjectOrders, consumers.PublishIntegrationEvents} {
		b.Run(fn, func(b *testing.B) {
			conn := cosmosdbtest.Embedded(b, 1)
			writeBacklog(b, conn, b.N)
			app := loadApp(b)
			app.Functions = slices.DeleteFunc(app.Functions, func(f funcapp.Function) bool { return f.Name != fn })
			host := hostInProcess(b, app, conn, b.TempDir())
			runtime.GC()
			profileDrain(b)
			b.ResetTimer()
			cpu := cpuTime()
			runHost(b, host)
			for processed(host) < int64(b.N) {
				time.Sleep(5 * time.Millisecond)
			}
			cpu = cpuTime() - cpu
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(cpu.Seconds()*1e6/float64(b.N), "cpu-µs/event")
		})
	}
}

// drainProfile names a file for a CPU profile of the drain alone: go test's
// -cpuprofile also covers writing the backlog, which takes longer.
var drainProfile = flag.String("drain.cpuprofile", "", "write a CPU profile of BenchmarkCatchUp's drain to this file")

// profileDrain profiles the rest of the benchmark when -drain.cpuprofile is set.
func profileDrain(b *testing.B) {
	if *drainProfile == "" {
		return
	}
	f, err := os.Create(*drainProfile)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pprof.StopCPUProfile(); _ = f.Close() })
}

// loadApp loads the repository's own app.
func loadApp(tb testing.TB) *funcapp.App {
	tb.Helper()
	app, err := funcapp.Load("../..", func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	return app
}

// hostInProcess builds funchost with the app's consumers in process, as
// dev does, publishing to an embedded broker whose stream lives in dir.
func hostInProcess(b *testing.B, app *funcapp.App, conn *cosmosdb.Conn, dir string) *funchost.Host {
	b.Helper()
	bus, err := consumers.OpenBus(context.Background(), consumers.BusConfig{Getenv: func(string) string { return "" },
		DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bus.Close() })
	set, err := consumers.Build(consumers.Config{Conn: conn, Bus: bus, LeaseSignals: true})
	if err != nil {
		b.Fatal(err)
	}
	for name := range set.Consumers {
		if app.Function(name) == nil {
			delete(set.Consumers, name)
		}
	}
	handler, err := functions.NewHandler(app, set.Consumers, functions.Options{})
	if err != nil {
		b.Fatal(err)
	}
	host, err := funchost.New(funchost.Config{App: app, Conn: conn, Handler: handler, Off: set.Off, LeaseAcquired: set.LeaseAcquired})
	if err != nil {
		b.Fatal(err)
	}
	return host
}

// runHost runs the host until the test or benchmark ends.
func runHost(tb testing.TB, host *funchost.Host) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("funchost: %v", err)
		}
	})
}

// processed sums the documents every lease of every function accepted.
func processed(host *funchost.Host) int64 {
	var n int64
	for _, st := range host.Stats() {
		for _, l := range st.Leases {
			n += l.Processed
		}
	}
	return n
}

// accepted is a command the service accepted: its order's stream reached
// version at the time given.
type accepted struct {
	orderID string
	version int64
	at      time.Time
}

// steadyCommands runs n commands that append events at rate per second on
// random orders of a window of 100, replacing an order the domain refuses
// a command on (it has reached its end) by a new one.
func steadyCommands(b *testing.B, w *consumertest.World, rate, n int) []accepted {
	b.Helper()
	g := ordertest.New(1)
	window := make([]string, 100)
	next := 0
	for i := range window {
		next++
		window[i] = fmt.Sprintf("o-%d", next)
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	out := make([]accepted, 0, n)
	for len(out) < n {
		<-tick.C
		slot := g.Rand().IntN(len(window))
		res, err := w.Service.Update(context.Background(), window[slot], orderapp.UpdateOptions{}, func(o *order.Order) error {
			_, err := g.Decide(o, w.Clock.Advance(time.Second))
			return err
		})
		switch {
		case err == nil:
			out = append(out, accepted{orderID: res.OrderID, version: res.Version, at: time.Now()})
		case es.ErrorCode(err) == es.Internal || es.ErrorCode(err) == es.Unavailable:
			b.Fatal(err)
		default:
			next++
			window[slot] = fmt.Sprintf("o-%d", next)
		}
	}
	return out
}

// viewWrites records, per order, when the store answered each write of its
// view and at which version.
type viewWrites struct {
	mu      sync.Mutex
	written map[string][]viewWrite
}

type viewWrite struct {
	version int64
	at      time.Time
}

// watchedConn is a connection to conn's embedded store whose requests pass
// through watch.
func watchedConn(b *testing.B, conn *cosmosdb.Conn, watch *viewWrites) *cosmosdb.Conn {
	b.Helper()
	cred, err := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
	if err != nil {
		b.Fatal(err)
	}
	endpoint := fmt.Sprintf("http://watched-%d.cosmos.local/", watchedStores.Add(1))
	client, err := azcosmos.NewClientWithKey(endpoint, cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: watchTransport{next: conn.Embedded().Client(), watch: watch}}})
	if err != nil {
		b.Fatal(err)
	}
	return &cosmosdb.Conn{Client: client, Database: conn.Database}
}

// watchedStores numbers the watched clients: the SDK caches routing per endpoint.
var watchedStores atomic.Int64

// watchTransport passes requests on and records successful view writes.
type watchTransport struct {
	next  policy.Transporter
	watch *viewWrites
}

func (t watchTransport) Do(req *http.Request) (*http.Response, error) {
	isWrite := (req.Method == http.MethodPost || req.Method == http.MethodPut) &&
		strings.Contains(req.URL.Path, "/colls/"+cosmosdb.Views+"/docs") && req.Body != nil
	if !isWrite {
		return t.next.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := t.next.Do(req)
	if err == nil && resp.StatusCode < 300 {
		var v struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		if json.Unmarshal(body, &v) == nil {
			t.watch.record(v.ID, v.Version, time.Now())
		}
	}
	return resp, err
}

func (w *viewWrites) record(id string, version int64, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written[id] = append(w.written[id], viewWrite{version, at})
}

// latencies waits until every accepted command's view is written and
// returns, per command, the milliseconds from accepted to written (0 when
// the view was written before the service returned).
func (w *viewWrites) latencies(b *testing.B, cmds []accepted) []float64 {
	b.Helper()
	out := make([]float64, 0, len(cmds))
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range cmds {
		for {
			if at, ok := w.firstAt(c.orderID, c.version); ok {
				out = append(out, max(0, at.Sub(c.at).Seconds()*1000))
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("the view of %s never reached version %d", c.orderID, c.version)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return out
}

// firstAt is when the view of an order was first written at or past version.
func (w *viewWrites) firstAt(id string, version int64) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, vw := range w.written[id] {
		if vw.version >= version {
			return vw.at, true
		}
	}
	return time.Time{}, false
}

// percentile returns the p-th percentile (nearest rank) of xs.
func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// writeBacklog appends n events of random order lifecycles through the
// event store (transactional batches), from 4 writers with 250 orders under
// way each: every append is the next one to three events of a random order
// of the writer's window, and an order that has no more events is replaced
// by a new one.
func writeBacklog(b *testing.B, conn *cosmosdb.Conn, n int) {
	b.Helper()
	reg := ordertest.Registry(b)
	store := eventstore.New(conn, reg)
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		share := n / writers
		if w == 0 {
			share += n % writers
		}
		wg.Go(func() { errs <- appendOrders(b, store, reg, w, share) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// appendOrders is one writer of writeBacklog: n events of its own orders.
func appendOrders(b *testing.B, store *eventstore.Store, reg *es.Registry, writer, n int) error {
	g := ordertest.New(uint64(writer + 1))
	start := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	next := 0
	newOrder := func() []es.Envelope {
		for {
			next++
			if _, events := g.History(b, reg, fmt.Sprintf("o-%d-%d", writer, next), 14, start); len(events) > 0 {
				return events
			}
		}
	}
	window := make([][]es.Envelope, 250)
	for i := range window {
		window[i] = newOrder()
	}
	rng := rand.New(rand.NewPCG(uint64(writer), 3))
	for written := 0; written < n; {
		i := rng.IntN(len(window))
		k := min(1+rng.IntN(3), len(window[i]), n-written)
		chunk := window[i][:k]
		if _, err := store.Append(context.Background(), chunk[0].StreamID, chunk[0].Version-1, chunk); err != nil {
			return err
		}
		written += k
		if window[i] = window[i][k:]; len(window[i]) == 0 {
			window[i] = newOrder()
		}
	}
	return nil
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
