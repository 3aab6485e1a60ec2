// Package cosmosbench measures the embedded Cosmos DB-compatible server the way
// clients use it: many concurrent azcosmos clients over loopback HTTP against a
// server in its own process, so the server's CPU time per operation can be read
// apart from the clients' (the SDK itself costs about 100 µs of CPU per call).
package cosmosbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/benchkit"
	"orderctx/infra/cosmosemu"
)

// Config sets what the benchmark runs.
type Config struct {
	// Binary is the orderctx executable that serves `cosmos`.
	Binary string
	// Clients is the number of concurrent azcosmos clients (default 16).
	Clients int
	// Duration is how long each load scenario runs (default 5 s).
	Duration time.Duration
	// FeedItems is how many items the change-feed drain reads (default 100,000).
	FeedItems int
	// Memory runs the server without a data directory (creates are then not durable).
	Memory bool
	// ServerArgs are extra flags for the server (e.g. -cpuprofile).
	ServerArgs []string
	// ServerLog, when set, receives the server's log (its last line has the
	// group-commit statistics).
	ServerLog io.Writer
	// Only, when set, names the one scenario to report after setup
	// (create, read, batch, feed); the create scenario always runs to load data.
	Only string
	// Rounds is how many times Compare runs each scenario on both servers (default 3).
	Rounds int
	// MemoryWait, for Compare, makes the in-memory server hold every write
	// this long before answering (a latency fault, whole milliseconds): a
	// control that waits as a durable write waits for its sync, without
	// the log, to tell the cost of waiting from the cost of the log.
	MemoryWait time.Duration
	// CPUProfile, for Compare, names the servers' CPU profiles: the mode is
	// added before the extension (cpu.prof: cpu.durable.prof, cpu.memory.prof).
	CPUProfile string
	Out        io.Writer
}

// Result is one scenario's numbers.
type Result struct {
	Name          string
	Ops           int
	Seconds       float64
	P50, P95, P99 time.Duration
	ServerCPU     time.Duration // total server CPU over the scenario
	ClientCPU     time.Duration // total CPU of this (client) process
}

// OpsPerSecond is throughput.
func (r Result) OpsPerSecond() float64 { return float64(r.Ops) / r.Seconds }

// ServerCPUPerOp is the server's CPU time per operation.
func (r Result) ServerCPUPerOp() time.Duration { return r.ServerCPU / time.Duration(max(r.Ops, 1)) }

// ClientCPUPerOp is the clients' CPU time per operation.
func (r Result) ClientCPUPerOp() time.Duration { return r.ClientCPU / time.Duration(max(r.Ops, 1)) }

// Run starts a server process, runs every scenario and prints a table.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	cfg = withDefaults(cfg)
	dir, err := os.MkdirTemp("", "cosmosbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, endpoint, err := startServer(cfg, filepath.Join(dir, "data"))
	if err != nil {
		return nil, err
	}
	defer func() {
		// An interrupt lets the server flush its profile, if it writes one.
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
	}()

	clients := make([]*azcosmos.ContainerClient, cfg.Clients)
	for i := range clients {
		if clients[i], err = container(endpoint); err != nil {
			return nil, err
		}
	}
	if err := setup(ctx, endpoint); err != nil {
		return nil, err
	}
	var results []Result
	var created atomic.Int64
	scenario := func(name string, op operation) error {
		key := strings.Fields(name)[0]
		if cfg.Only != "" && cfg.Only != key && key != "create" {
			return nil
		}
		r, err := load(ctx, cfg, srv.Process.Pid, clients, name, op)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if cfg.Only == "" || cfg.Only == key {
			results = append(results, r)
		}
		return nil
	}
	if err := scenario("create", createOp(ctx, &created)); err != nil {
		return nil, err
	}
	total := created.Load()
	if err := scenario("read (point)", func(c *azcosmos.ContainerClient, w int, n int64) error {
		id := strconv.FormatInt(1+(n*7919)%total, 10)
		_, err := c.ReadItem(ctx, azcosmos.NewPartitionKeyString("s"+id), id, nil)
		return err
	}); err != nil {
		return nil, err
	}
	var batches atomic.Int64
	if err := scenario("batch of 5 creates", batchOp(ctx, &batches)); err != nil {
		return nil, err
	}
	if cfg.Only == "" || cfg.Only == "feed" {
		fr, err := drain(ctx, cfg, srv.Process.Pid, clients[0])
		if err != nil {
			return nil, err
		}
		results = append(results, fr)
	}
	print(cfg, results)
	return results, nil
}

// operation is one scenario's request, run by client c of worker w as the
// n-th operation of the scenario.
type operation func(c *azcosmos.ContainerClient, w int, n int64) error

// itemBody is a ~110-byte event-like item.
func itemBody(id string, pk string) []byte {
	return []byte(`{"id":"` + id + `","pk":"` + pk + `","type":"order.item_added","data":{"productId":"p-1","quantity":2,"unitPrice":1250}}`)
}

// createOp creates one item in a new logical partition per call.
func createOp(ctx context.Context, created *atomic.Int64) operation {
	return func(c *azcosmos.ContainerClient, w int, n int64) error {
		id := strconv.FormatInt(created.Add(1), 10)
		_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("s"+id), itemBody(id, "s"+id), nil)
		return err
	}
}

// batchSize is the number of creates in the batch scenario's transactional batch.
const batchSize = 5

// batchOp runs one transactional batch of batchSize creates in a new
// logical partition per call.
func batchOp(ctx context.Context, batches *atomic.Int64) operation {
	return func(c *azcosmos.ContainerClient, w int, n int64) error {
		stream := "b" + strconv.FormatInt(batches.Add(1), 10)
		b := c.NewTransactionalBatch(azcosmos.NewPartitionKeyString(stream))
		for i := 0; i < batchSize; i++ {
			b.CreateItem(itemBody(strconv.Itoa(i), stream), nil)
		}
		resp, err := c.ExecuteTransactionalBatch(ctx, b, nil)
		if err == nil && !resp.Success {
			err = fmt.Errorf("batch failed")
		}
		return err
	}
}

func startServer(cfg Config, dir string) (*exec.Cmd, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"cosmos", "-http", "-addr", addr, "-data", dir}
	if cfg.Memory {
		args = append(args, "-memory")
	}
	args = append(args, cfg.ServerArgs...)
	cmd := exec.Command(cfg.Binary, args...)
	cmd.Stdout = io.Discard
	if cfg.ServerLog != nil {
		cmd.Stderr = cfg.ServerLog
	} else {
		cmd.Stderr = io.Discard
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	endpoint := "http://" + addr + "/"
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return cmd, endpoint, nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, "", fmt.Errorf("server did not start on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newClient(endpoint string) (*azcosmos.Client, error) {
	cred, err := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
	if err != nil {
		return nil, err
	}
	return azcosmos.NewClientWithKey(endpoint, cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: 2},
	}})
}

func container(endpoint string) (*azcosmos.ContainerClient, error) {
	client, err := newClient(endpoint)
	if err != nil {
		return nil, err
	}
	return client.NewContainer("bench", "events")
}

func setup(ctx context.Context, endpoint string) error {
	client, err := newClient(endpoint)
	if err != nil {
		return err
	}
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "bench"}, nil); err != nil {
		return err
	}
	db, _ := client.NewDatabase("bench")
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "events",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil)
	return err
}

// load runs op from every client until the duration ends.
func load(ctx context.Context, cfg Config, pid int, clients []*azcosmos.ContainerClient, name string,
	op operation) (Result, error) {
	var wg sync.WaitGroup
	var seq atomic.Int64
	lat := make([][]time.Duration, len(clients))
	errs := make(chan error, len(clients))
	srvBefore, err := benchkit.ProcessCPU(pid)
	if err != nil {
		return Result{}, err
	}
	cliBefore := benchkit.SelfCPU()
	start := time.Now()
	end := start.Add(cfg.Duration)
	for w, c := range clients {
		wg.Add(1)
		go func(w int, c *azcosmos.ContainerClient) {
			defer wg.Done()
			for time.Now().Before(end) {
				t0 := time.Now()
				if err := op(c, w, seq.Add(1)); err != nil {
					errs <- err
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w, c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	srvAfter, err := benchkit.ProcessCPU(pid)
	if err != nil {
		return Result{}, err
	}
	select {
	case err := <-errs:
		return Result{}, err
	default:
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sum := benchkit.Summarize(all)
	return Result{Name: name, Ops: sum.Count, Seconds: elapsed.Seconds(), P50: sum.P50, P95: sum.P95, P99: sum.P99,
		ServerCPU: srvAfter - srvBefore, ClientCPU: benchkit.SelfCPU() - cliBefore}, nil
}

// drain writes FeedItems items in batches, then reads the whole change feed
// with one client, 1,000 items a page, and reports items per second.
func drain(ctx context.Context, cfg Config, pid int, c *azcosmos.ContainerClient) (Result, error) {
	var wg sync.WaitGroup
	per := cfg.FeedItems / 100
	errs := make(chan error, 16)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := w; b < per; b += 16 {
				stream := "f" + strconv.Itoa(b)
				batch := c.NewTransactionalBatch(azcosmos.NewPartitionKeyString(stream))
				for i := 0; i < 100; i++ {
					batch.CreateItem([]byte(`{"id":"`+strconv.Itoa(i)+`","pk":"`+stream+`","data":{"n":`+strconv.Itoa(i)+`}}`), nil)
				}
				if _, err := c.ExecuteTransactionalBatch(ctx, batch, nil); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return Result{}, err
	default:
	}
	ranges, err := c.ReadFeedRanges(ctx, nil)
	if err != nil {
		return Result{}, err
	}
	srvBefore, _ := benchkit.ProcessCPU(pid)
	cliBefore := benchkit.SelfCPU()
	start := time.Now()
	opts := &azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], MaxItemCount: 1000}
	n := 0
	var lat []time.Duration
	for {
		t0 := time.Now()
		resp, err := c.ReadChangeFeed(ctx, opts)
		if err != nil {
			return Result{}, err
		}
		lat = append(lat, time.Since(t0))
		n += len(resp.Items)
		if len(resp.Items) == 0 {
			break
		}
		token := resp.ContinuationToken
		opts = &azcosmos.ChangeFeedOptions{Continuation: &token, MaxItemCount: 1000}
	}
	elapsed := time.Since(start)
	srvAfter, _ := benchkit.ProcessCPU(pid)
	sum := benchkit.Summarize(lat)
	return Result{Name: "feed drain (items)", Ops: n, Seconds: elapsed.Seconds(), P50: sum.P50, P95: sum.P95, P99: sum.P99,
		ServerCPU: srvAfter - srvBefore, ClientCPU: benchkit.SelfCPU() - cliBefore}, nil
}

func print(cfg Config, results []Result) {
	if cfg.Out == nil {
		return
	}
	w := bufio.NewWriter(cfg.Out)
	defer w.Flush()
	fmt.Fprintf(w, "clients=%d duration=%s durable=%v\n", cfg.Clients, cfg.Duration, !cfg.Memory)
	// server/client is the server's CPU per operation over the SDK client's:
	// the client's work per call is constant, so the ratio stays put while
	// the shared machine's speed drifts (docs/benchmarks.md).
	fmt.Fprintf(w, "%-28s %10s %10s %9s %9s %9s %14s %14s %14s\n", "scenario", "ops", "ops/s", "p50", "p95", "p99", "server CPU/op", "client CPU/op", "server/client")
	for _, r := range results {
		fmt.Fprintf(w, "%-28s %10d %10.0f %9s %9s %9s %14s %14s %14.2f\n", r.Name, r.Ops, r.OpsPerSecond(),
			r.P50.Round(time.Microsecond), r.P95.Round(time.Microsecond), r.P99.Round(time.Microsecond),
			r.ServerCPUPerOp().Round(100*time.Nanosecond), r.ClientCPUPerOp().Round(100*time.Nanosecond),
			float64(r.ServerCPUPerOp())/float64(max(r.ClientCPUPerOp(), 1)))
	}
}
