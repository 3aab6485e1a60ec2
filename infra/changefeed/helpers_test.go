package changefeed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/changefeed"
	"orderctx/infra/cosmosemu"
)

// endpoints numbers the test servers: azcosmos caches routing per endpoint
// process-wide, so each server gets an endpoint of its own.
var endpoints atomic.Int64

// env is an in-process server with an events container (/streamId) of some
// physical partitions and a leases container (/id).
type env struct {
	srv    *cosmosemu.Server
	client *azcosmos.Client
	events *azcosmos.ContainerClient
	leases *azcosmos.ContainerClient
}

func newEnv(t testing.TB, partitions int) *env {
	t.Helper()
	return newEnvWith(t, cosmosemu.Config{DefaultPartitions: partitions})
}

// newEnvWith is newEnv with a server configured as given.
func newEnvWith(t testing.TB, cfg cosmosemu.Config) *env {
	t.Helper()
	srv, err := cosmosemu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{srv: srv, client: newClient(t, srv.Client(), fmt.Sprintf("http://cosmos-%d.test/", endpoints.Add(1)))}
	e.events, e.leases = createContainers(t, e.client)
	return e
}

// newCountingEnv is newEnv with a count of the change feed reads sent.
func newCountingEnv(t testing.TB, partitions int) (*env, *atomic.Int64) {
	t.Helper()
	srv, err := cosmosemu.New(cosmosemu.Config{DefaultPartitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	reads := &atomic.Int64{}
	transport := countingTransport{next: srv.Client(), reads: reads}
	e := &env{srv: srv, client: newClient(t, transport, fmt.Sprintf("http://cosmos-%d.test/", endpoints.Add(1)))}
	e.events, e.leases = createContainers(t, e.client)
	return e, reads
}

// countingTransport counts change feed requests (those with an A-IM header).
type countingTransport struct {
	next  policy.Transporter
	reads *atomic.Int64
}

func (c countingTransport) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("A-IM") != "" {
		c.reads.Add(1)
	}
	return c.next.Do(req)
}

func newClient(t testing.TB, transport policy.Transporter, endpoint string) *azcosmos.Client {
	t.Helper()
	cred, err := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := azcosmos.NewClientWithKey(endpoint, cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: transport, Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: 10 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createContainers creates database "db" with "events" and "leases".
func createContainers(t testing.TB, c *azcosmos.Client) (events, leases *azcosmos.ContainerClient) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil); err != nil {
		t.Fatal(err)
	}
	db, _ := c.NewDatabase("db")
	for id, path := range map[string]string{"events": "/streamId", "leases": "/id"} {
		if _, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: id,
			PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{path}, Version: 2}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	events, _ = db.NewContainer("events")
	leases, _ = db.NewContainer("leases")
	return events, leases
}

// event is the document the tests write: version v of stream s.
type event struct {
	ID       string `json:"id"`
	StreamID string `json:"streamId"`
	Version  int    `json:"version"`
}

func streamName(i int) string { return "s" + strconv.Itoa(i) }

// writeEvents appends versions from..to (inclusive) to each of streams
// s0..s<streams-1>, one create per event, interleaving the streams.
func writeEvents(t testing.TB, c *azcosmos.ContainerClient, streams, from, to int) {
	t.Helper()
	for v := from; v <= to; v++ {
		for s := range streams {
			if err := writeEvent(c, streamName(s), v); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func writeEvent(c *azcosmos.ContainerClient, stream string, v int) error {
	body, _ := json.Marshal(event{ID: stream + ":" + strconv.Itoa(v), StreamID: stream, Version: v})
	_, err := c.CreateItem(context.Background(), azcosmos.NewPartitionKeyString(stream), body, nil)
	return err
}

// fastOptions are options with short intervals, so tests run in seconds.
func fastOptions(e *env, prefix string, h changefeed.Handler) changefeed.Options {
	return changefeed.Options{Monitored: e.events, Leases: e.leases, Handler: h, Prefix: prefix,
		StartFromBeginning: true, FeedPollDelay: 5 * time.Millisecond,
		LeaseAcquireInterval: 100 * time.Millisecond, LeaseExpirationInterval: 500 * time.Millisecond,
		LeaseRenewInterval: 100 * time.Millisecond, RetryBackoff: 10 * time.Millisecond, MaxRetryBackoff: 50 * time.Millisecond}
}

// running is a processor started by start; stop ends it abruptly.
type running struct {
	p    *changefeed.Processor
	stop context.CancelFunc
	done chan error
}

// start runs a processor until the test ends (or stop / Shutdown).
func start(t testing.TB, o changefeed.Options) *running {
	t.Helper()
	p, err := changefeed.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{p: p, stop: cancel, done: make(chan error, 1)}
	go func() {
		err := p.Run(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
		r.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// kill stops the processor abruptly (no lease is released) and waits for it.
func (r *running) kill(t testing.TB) {
	t.Helper()
	r.stop()
	if err := <-r.done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v", err)
	}
	r.done <- nil // for the cleanup
}

// shutdown stops the processor gracefully and waits for it.
func (r *running) shutdown(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.p.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-r.done; err != nil {
		t.Fatalf("Run after Shutdown = %v", err)
	}
	r.done <- nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder is a handler that records every delivery.
type recorder struct {
	mu      sync.Mutex
	seen    map[string]int // deliveries per event id
	next    map[string]int // per stream: the next version not yet delivered
	gaps    []string       // versions delivered before an earlier one of their stream
	batches int
	owners  map[string]bool // lease tokens that delivered
}

func newRecorder() *recorder {
	return &recorder{seen: map[string]int{}, next: map[string]int{}, owners: map[string]bool{}}
}

// handle records a batch and accepts it.
func (r *recorder) handle(_ context.Context, b changefeed.Batch) error {
	r.record(b)
	return nil
}

func (r *recorder) record(b changefeed.Batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches++
	r.owners[b.LeaseToken] = true
	for _, raw := range b.Documents {
		var e event
		if err := json.Unmarshal(raw, &e); err != nil {
			r.gaps = append(r.gaps, "undecodable "+string(raw))
			continue
		}
		r.seen[e.ID]++
		next := max(r.next[e.StreamID], 1)
		switch {
		case e.Version == next:
			r.next[e.StreamID] = next + 1
		case e.Version > next:
			r.gaps = append(r.gaps, fmt.Sprintf("%s delivered before version %d", e.ID, next))
		}
	}
}

// count is how many distinct events were delivered.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// check fails the test unless versions 1..to of streams s0.. were each
// delivered (exactly once with exactlyOnce), every stream in order.
func (r *recorder) check(t testing.TB, streams, to int, exactlyOnce bool) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.gaps) > 0 {
		t.Fatalf("out of order: %s", strings.Join(r.gaps[:min(5, len(r.gaps))], "; "))
	}
	for s := range streams {
		for v := 1; v <= to; v++ {
			id := streamName(s) + ":" + strconv.Itoa(v)
			if n := r.seen[id]; n == 0 || (exactlyOnce && n != 1) {
				t.Fatalf("%s delivered %d times", id, n)
			}
		}
	}
	if len(r.seen) != streams*to {
		t.Fatalf("%d distinct events delivered, want %d", len(r.seen), streams*to)
	}
}

// leaseDocs reads the lease documents of a prefix (not the .info marker).
func leaseDocs(t testing.TB, leases *azcosmos.ContainerClient, prefix string) []map[string]any {
	t.Helper()
	pager := leases.NewQueryItemsPager("SELECT * FROM c WHERE STARTSWITH(c.id, @p)", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{QueryParameters: []azcosmos.QueryParameter{{Name: "@p", Value: prefix}}})
	var out []map[string]any
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Items {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			if strings.Contains(m["id"].(string), "..") {
				out = append(out, m)
			}
		}
	}
	return out
}

// owners counts the leases of a prefix per owner ("" for none).
func owners(t testing.TB, leases *azcosmos.ContainerClient, prefix string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, d := range leaseDocs(t, leases, prefix) {
		o, _ := d["Owner"].(string)
		out[o]++
	}
	return out
}
