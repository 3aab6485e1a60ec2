// Package querybench measures the query API under load on one machine: it
// fills an embedded store with views, times the query API's cold start and
// its memory per order, then drives it over loopback from concurrent HTTP
// clients in the same process, next to an echo v4 hello-world handler
// measured the same way as the reference (before and after, since a shared
// machine drifts). The numbers are in docs/benchmarks.md.
package querybench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/infra/benchkit"
	"orderctx/infra/cosmosdb"
	"orderctx/queryapi"
	"orderctx/queryapi/internal/viewtest"
)

// Config sizes a run; zero fields take the defaults.
type Config struct {
	Orders  int // views in the store (100,000)
	Buyers  int // distinct buyers (Orders/10)
	Clients int // concurrent HTTP clients of the throughput runs (16)
	// LatencyClients is the concurrency of the latency runs (2): with 16
	// closed-loop clients on two cores, latency is mostly queueing.
	LatencyClients int
	Duration       time.Duration // per scenario (5 s)
	Out            io.Writer     // the table (nil: nowhere)
}

func (c *Config) defaults() {
	if c.Orders <= 0 {
		c.Orders = 100_000
	}
	if c.Buyers <= 0 {
		c.Buyers = max(1, c.Orders/10)
	}
	if c.Clients <= 0 {
		c.Clients = 16
	}
	if c.LatencyClients <= 0 {
		c.LatencyClients = 2
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
}

// Result is one load scenario.
type Result struct {
	Name     string
	Requests int
	Errors   int
	Seconds  float64
	P50, P99 time.Duration
	// CPU is the process's CPU time over the scenario: server and load
	// generator together, steadier than the rate on a shared machine.
	CPU time.Duration
}

// CPUPerRequest is the process's CPU time per request.
func (r Result) CPUPerRequest() time.Duration { return r.CPU / time.Duration(max(r.Requests, 1)) }

// Rate is requests per second.
func (r Result) Rate() float64 { return float64(r.Requests) / r.Seconds }

// Report is a whole run.
type Report struct {
	Orders    int
	Seed      time.Duration // writing the views into the store
	ColdStart time.Duration // from a new API to ready
	// HeapPerOrder is the live heap the loaded API holds per order;
	// AccountedPerOrder is what the read model's memory cap counts.
	HeapPerOrder, AccountedPerOrder float64
	Hello, Get, List                Result
	// ListByTemplate is the listing scenario split by query shape.
	ListByTemplate []Result
	// The same scenarios at LatencyClients.
	LightHello, LightGet, LightList Result
}

// GetToHello is the point read's rate relative to hello-world.
func (r Report) GetToHello() float64 { return r.Get.Rate() / r.Hello.Rate() }

// Run fills a store, starts the API and measures it.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.defaults()
	rep := Report{Orders: cfg.Orders}
	conn, err := cosmosdb.Open(ctx, cosmosdb.Config{Memory: true}, nil)
	if err != nil {
		return rep, err
	}
	defer conn.Close()
	start := time.Now()
	if err := seed(ctx, conn, cfg); err != nil {
		return rep, err
	}
	rep.Seed = time.Since(start)

	api, stop, err := coldStart(ctx, conn, &rep)
	if err != nil {
		return rep, err
	}
	defer stop()
	queryURL, stopQuery, err := serve(api.Handler())
	if err != nil {
		return rep, err
	}
	defer stopQuery()
	helloURL, stopHello, err := serve(helloWorld())
	if err != nil {
		return rep, err
	}
	defer stopHello()

	ids := make([]string, cfg.Orders)
	for i := range ids {
		ids[i] = orderID(i)
	}
	before := load(ctx, cfg, "hello-world (echo v4)", func(r *rand.Rand) (string, int) { return helloURL + "/", 0 })
	rep.Get = load(ctx, cfg, "GET /orders/{id}", func(r *rand.Rand) (string, int) { return queryURL + "/orders/" + ids[r.IntN(len(ids))], 0 }).Result
	list := load(ctx, cfg, "GET /orders with filters", listRequest(queryURL, cfg))
	rep.List, rep.ListByTemplate = list.Result, list.byTemplate
	after := load(ctx, cfg, "hello-world (echo v4), again", func(r *rand.Rand) (string, int) { return helloURL + "/", 0 })
	rep.Hello = mergeHello(before, after)
	light := cfg
	light.Clients = cfg.LatencyClients
	rep.LightHello = load(ctx, light, "hello-world (echo v4)", func(r *rand.Rand) (string, int) { return helloURL + "/", 0 }).Result
	rep.LightGet = load(ctx, light, "GET /orders/{id}", func(r *rand.Rand) (string, int) { return queryURL + "/orders/" + ids[r.IntN(len(ids))], 0 }).Result
	rep.LightList = load(ctx, light, "GET /orders with filters", listRequest(queryURL, cfg)).Result
	rep.print(cfg.Out, before, after, cfg)
	if n := rep.Get.Errors + rep.List.Errors + rep.Hello.Errors + rep.LightHello.Errors + rep.LightGet.Errors + rep.LightList.Errors; n > 0 {
		return rep, fmt.Errorf("%d requests failed", n)
	}
	return rep, nil
}

// orderID names the i-th seeded order.
func orderID(i int) string { return fmt.Sprintf("bench-%07d", i) }

// seed writes the views from 16 writers.
func seed(ctx context.Context, conn *cosmosdb.Conn, cfg Config) error {
	var next atomic.Int64
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < cfg.Orders; i = int(next.Add(1) - 1) {
				s := specOf(i, cfg.Buyers)
				if err := conn.UpsertItem(ctx, cosmosdb.Views, s.ID, s.Doc()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// specOf is the i-th order: statuses spread 40/30/20/10, totals up to
// 100,000 minor units, placed over 100 days, a tenth as many buyers.
func specOf(i, buyers int) viewtest.Spec {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	statuses := []string{"submitted", "submitted", "submitted", "submitted", "paid", "paid", "paid", "shipped", "shipped", "cancelled"}
	return viewtest.Spec{ID: orderID(i), Status: statuses[r.IntN(10)], Buyer: fmt.Sprintf("buyer-%06d", r.IntN(buyers)),
		Currency: []string{"EUR", "USD", "NOK"}[r.IntN(3)], Total: int64(r.IntN(100_000)),
		Placed: viewtest.T0.Add(time.Duration(r.IntN(100*24*3600)) * time.Second), Version: int64(1 + r.IntN(4))}
}

// coldStart builds a new API on the filled store and times it to ready,
// reading the heap before and after.
func coldStart(ctx context.Context, conn *cosmosdb.Conn, rep *Report) (*queryapi.API, func(), error) {
	heapBefore := liveHeap()
	start := time.Now()
	api, err := queryapi.NewOnConn(conn, nil, slog.New(slog.DiscardHandler), queryapi.Options{MaxMemoryBytes: 8 << 30})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); api.Follow(ctx) }()
	stop := func() { cancel(); <-done }
	select {
	case <-api.Ready():
	case <-time.After(2 * time.Minute):
		stop()
		return nil, nil, errors.New("the query API was not ready within 2 minutes")
	}
	rep.ColdStart = time.Since(start)
	rep.HeapPerOrder = float64(liveHeap()-heapBefore) / float64(rep.Orders)
	rec := httptest.NewRecorder()
	api.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var r queryapi.Readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Orders != rep.Orders {
		stop()
		return nil, nil, fmt.Errorf("readiness %s: %v", rec.Body, err)
	}
	rep.AccountedPerOrder = float64(r.MemoryBytes) / float64(r.Orders)
	return api, stop, nil
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// serve serves h on a loopback port until the returned stop is called.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// helloWorld is the reference: echo v4 answering a constant string.
func helloWorld() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "Hello, World!") })
	return e
}

// listTemplates are the listing shapes the filter scenario mixes.
var listTemplates = []string{"status+sort=total", "buyerId", "placed window", "minTotal+sort=total", "status+placedFrom+minTotal"}

// listRequest draws a listing query: every filter, both sorts, both orders.
func listRequest(base string, cfg Config) func(r *rand.Rand) (string, int) {
	return func(r *rand.Rand) (string, int) {
		day := func(d int) string { return viewtest.T0.Add(time.Duration(d) * 24 * time.Hour).Format(time.RFC3339) }
		order := []string{"asc", "desc"}[r.IntN(2)]
		status := []string{"submitted", "paid", "shipped", "cancelled"}[r.IntN(4)]
		t := r.IntN(len(listTemplates))
		var q string
		switch t {
		case 0:
			q = "status=" + status + "&sort=total&order=" + order
		case 1:
			q = fmt.Sprintf("buyerId=buyer-%06d&order=%s", r.IntN(cfg.Buyers), order)
		case 2:
			d := r.IntN(95)
			q = "placedFrom=" + day(d) + "&placedTo=" + day(d+5) + "&order=" + order
		case 3:
			q = fmt.Sprintf("minTotal=%d&sort=total&order=%s", r.IntN(100_000), order)
		default:
			q = fmt.Sprintf("status=%s&placedFrom=%s&minTotal=%d&order=%s", status, day(r.IntN(100)), r.IntN(100_000), order)
		}
		return base + "/orders?" + q + "&limit=50", t
	}
}

// result carries per-template latencies along with the totals.
type result struct {
	Result
	byTemplate []Result
}

// load runs clients for cfg.Duration, each sending the requests next draws.
func load(ctx context.Context, cfg Config, name string, next func(*rand.Rand) (string, int)) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients, DisableCompression: true}}
	defer client.CloseIdleConnections()
	type sample struct {
		d        time.Duration
		template int
	}
	samples := make([][]sample, cfg.Clients)
	var errs atomic.Int64
	deadline := time.Now().Add(cfg.Duration)
	start, cpuBefore := time.Now(), benchkit.SelfCPU()
	var wg sync.WaitGroup
	for c := range samples {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 11))
			buf := make([]byte, 64<<10)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				url, template := next(r)
				t0 := time.Now()
				if !fetch(client, url, buf) {
					errs.Add(1)
				}
				samples[c] = append(samples[c], sample{time.Since(t0), template})
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start).Seconds(), benchkit.SelfCPU()-cpuBefore
	var all []time.Duration
	per := map[int][]time.Duration{}
	for _, ss := range samples {
		for _, s := range ss {
			all = append(all, s.d)
			per[s.template] = append(per[s.template], s.d)
		}
	}
	out := result{Result: summarize(name, all, elapsed)}
	out.Errors, out.CPU = int(errs.Load()), cpu
	if len(per) > 1 {
		for t := range listTemplates {
			out.byTemplate = append(out.byTemplate, summarize(listTemplates[t], per[t], elapsed))
		}
	}
	return out
}

// fetch sends one GET and reads the answer; it reports a 200.
func fetch(client *http.Client, url string, buf []byte) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			return errors.Is(err, io.EOF) && resp.StatusCode == http.StatusOK
		}
	}
}

func summarize(name string, lat []time.Duration, seconds float64) Result {
	sum := benchkit.Summarize(lat)
	return Result{Name: name, Requests: sum.Count, Seconds: seconds, P50: sum.P50, P99: sum.P99}
}

// mergeHello averages the two reference runs.
func mergeHello(a, b result) Result {
	return Result{Name: "hello-world (echo v4), mean of both runs", Requests: a.Requests + b.Requests, Errors: a.Errors + b.Errors,
		Seconds: a.Seconds + b.Seconds, P50: (a.P50 + b.P50) / 2, P99: (a.P99 + b.P99) / 2, CPU: a.CPU + b.CPU}
}

func (rep Report) print(w io.Writer, before, after result, cfg Config) {
	fmt.Fprintf(w, "orders: %d (seeded in %.1fs)\ncold start to ready: %.2fs\nlive heap per order: %.0f bytes (accounted by the memory cap: %.0f)\n\n",
		rep.Orders, rep.Seed.Seconds(), rep.ColdStart.Seconds(), rep.HeapPerOrder, rep.AccountedPerOrder)
	fmt.Fprintf(w, "%d clients:\n\n| scenario | requests/s | p50 | p99 | vs hello-world | CPU/request | hello-world CPU / this CPU |\n|---|---:|---:|---:|---:|---:|---:|\n", cfg.Clients)
	row := func(r Result) {
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %.2f | %d µs | %.2f |\n", r.Name, r.Rate(), ms(r.P50), ms(r.P99), r.Rate()/rep.Hello.Rate(),
			r.CPUPerRequest().Microseconds(), float64(rep.Hello.CPUPerRequest())/float64(r.CPUPerRequest()))
	}
	for _, r := range []Result{before.Result, rep.Get, rep.List, after.Result} {
		row(r)
	}
	for _, r := range rep.ListByTemplate {
		fmt.Fprintf(w, "| └ %s | %.0f | %s | %s | |\n", r.Name, r.Rate(), ms(r.P50), ms(r.P99))
	}
	fmt.Fprintf(w, "\n%d clients:\n\n| scenario | requests/s | p50 | p99 | vs hello-world |\n|---|---:|---:|---:|---:|\n", cfg.LatencyClients)
	for _, r := range []Result{rep.LightHello, rep.LightGet, rep.LightList} {
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %.2f |\n", r.Name, r.Rate(), ms(r.P50), ms(r.P99), r.Rate()/rep.LightHello.Rate())
	}
}

func ms(d time.Duration) string {
	return strings.TrimSuffix(fmt.Sprintf("%.2f", float64(d.Microseconds())/1000), "0") + " ms"
}
