package commandapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
	"orderctx/infra/eventstore/memory"
)

// childEnv makes the test binary run a command API process on a data
// directory, for the kill -9 test.
const childEnv = "ORDERCTX_COMMANDAPI_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(runChild(dir))
	}
	os.Exit(m.Run())
}

// openRealStore wires the command side as cmd_commandapi.go does, on the
// embedded store: in memory, or durable in dir.
func openRealStore(tb testing.TB, cfg cosmosdb.Config) (*orderapp.Service, *eventstore.Store, *cosmosdb.Conn) {
	tb.Helper()
	svc, store, conn, err := wireRealStore(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return svc, store, conn
}

// cachedService is the application service with a state cache of its own,
// as each command API instance has.
func cachedService(store es.EventStore, reg *es.Registry) *orderapp.Service {
	return orderapp.NewService(store, reg, es.SystemClock{}, nil, orderapp.WithCache(orderapp.NewCache(orderapp.CacheConfig{})))
}

func wireRealStore(ctx context.Context, cfg cosmosdb.Config) (*orderapp.Service, *eventstore.Store, *cosmosdb.Conn, error) {
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		return nil, nil, nil, err
	}
	conn, err := cosmosdb.Open(ctx, cfg, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	store := eventstore.New(conn, reg)
	store.AcceptSnapshots(func(s es.Snapshot) bool {
		return s.AggregateType == order.SnapshotType && s.SchemaVersion == order.SnapshotSchemaVersion
	})
	return orderapp.NewService(store, reg, es.SystemClock{}, store.Ready), store, conn, nil
}

// runChild serves the command API on dir until killed, printing its address.
func runChild(dir string) int {
	ctx := context.Background()
	svc, _, conn, err := wireRealStore(ctx, cosmosdb.Config{DataDir: dir})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	defer conn.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	api := commandapi.New(svc, slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), commandapi.Options{})
	fmt.Println("LISTENING", ln.Addr().String())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	ctx, cancel := context.WithCancel(ctx)
	go func() { <-sigs; cancel() }()
	if err := api.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}

// commandResult is what a client learned from one command.
type commandResult struct {
	status   int
	response commandapi.CommandResponse
	rule     string
	replayed bool // the answer carried Idempotent-Replayed: true
}

// send posts one command over a real connection.
func send(ctx context.Context, client *http.Client, base, method, path, body string, headers map[string]string) (commandResult, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return commandResult{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return commandResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return commandResult{}, err
	}
	out := commandResult{status: resp.StatusCode, replayed: resp.Header.Get(commandapi.HeaderIdempotentReplayed) == "true"}
	if resp.StatusCode < 300 {
		err = json.Unmarshal(raw, &out.response)
	} else {
		var p commandapi.Problem
		if resp.Header.Get("Content-Type") != commandapi.ProblemContentType {
			return out, fmt.Errorf("status %d with %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
		}
		err = json.Unmarshal(raw, &p)
		out.rule = p.Rule
	}
	return out, err
}

func orderBody(orderID string) string {
	return strings.Replace(placeBody, `"o-1"`, `"`+orderID+`"`, 1)
}

// TestConcurrentCommandsOnOneOrder sends 64 concurrent commands to one order
// through the API on each store, and through two API instances with their
// own state caches on one store (alternating): every accepted command's
// event is in the stream exactly once with the ids the client was given,
// versions have no gaps, and every refused command got 409, 412 or 422 and
// left no event.
func TestConcurrentCommandsOnOneOrder(t *testing.T) {
	t.Parallel()
	cachedPair := func(store es.EventStore, reg *es.Registry) []commandapi.Store {
		return []commandapi.Store{cachedService(store, reg), cachedService(store, reg)}
	}
	stores := []struct {
		name string
		open func(t *testing.T) ([]commandapi.Store, es.EventStore)
	}{
		{"memory fake", func(t *testing.T) ([]commandapi.Store, es.EventStore) {
			reg := orderRegistry(t)
			store := memory.New(reg)
			return []commandapi.Store{orderapp.NewService(store, reg, es.SystemClock{}, nil)}, store
		}},
		{"embedded store", func(t *testing.T) ([]commandapi.Store, es.EventStore) {
			svc, store, _ := openRealStore(t, cosmosdb.Config{Memory: true})
			return []commandapi.Store{svc}, store
		}},
		{"memory fake, two cached instances", func(t *testing.T) ([]commandapi.Store, es.EventStore) {
			reg := orderRegistry(t)
			store := memory.New(reg)
			return cachedPair(store, reg), store
		}},
		{"embedded store, two cached instances", func(t *testing.T) ([]commandapi.Store, es.EventStore) {
			_, store, _ := openRealStore(t, cosmosdb.Config{Memory: true})
			return cachedPair(store, orderRegistry(t)), store
		}},
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			svcs, store := sc.open(t)
			urls := make([]string, len(svcs))
			for i, svc := range svcs {
				srv := httptest.NewServer(commandapi.New(svc, slogDiscard(), commandapi.Options{}).Handler())
				t.Cleanup(srv.Close)
				urls[i] = srv.URL
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
			ctx := context.Background()
			if r, err := send(ctx, client, urls[0], http.MethodPost, "/orders", orderBody("o-1"), nil); err != nil || r.status != 201 {
				t.Fatalf("place: %+v %v", r, err)
			}

			const workers = 64
			results := make([]commandResult, workers)
			keys := make([]string, workers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for w := range workers {
				keys[w] = fmt.Sprintf("cmd-%02d", w)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					headers := map[string]string{"Idempotency-Key": keys[w]}
					path, body := "/orders/o-1/items", fmt.Sprintf(`{"productId":"p-%02d","name":"n","quantity":1,"unitPrice":10}`, w)
					switch w % 8 {
					case 1:
						headers["If-Match"] = `"1"` // pinned: only the first writer can win
					case 2:
						path, body = "/orders/o-1/pay", `{"paymentReference":"r","amount":1}` // wrong total: 422
					case 3:
						body = `{"productId":"p-1","name":"n","quantity":1,"unitPrice":11}` // other unit price: 422
					}
					r, err := send(ctx, client, urls[w%len(urls)], http.MethodPost, path, body, headers)
					if err != nil {
						t.Errorf("worker %d: %v", w, err)
					}
					results[w] = r
				}()
			}
			close(start)
			wg.Wait()

			stream, err := store.Load(ctx, order.StreamID("o-1"))
			if err != nil {
				t.Fatal(err)
			}
			byCommand := map[string][]es.Envelope{}
			for i, e := range stream.Events {
				if e.Version != int64(i+1) {
					t.Fatalf("event %d has version %d", i, e.Version)
				}
				byCommand[e.CommandID] = append(byCommand[e.CommandID], e)
			}
			accepted := 0
			statuses := map[int]int{}
			for w, r := range results {
				statuses[r.status]++
				evs := byCommand[keys[w]]
				switch r.status {
				case http.StatusOK:
					accepted++
					if len(evs) != 1 || evs[0].EventID != r.response.EventIDs[0] || evs[0].Version != r.response.Version {
						t.Errorf("accepted %s: response %+v, stored %d events", keys[w], r.response, len(evs))
					}
				case http.StatusConflict, http.StatusPreconditionFailed, http.StatusUnprocessableEntity:
					if len(evs) != 0 {
						t.Errorf("refused %s (%d %s) left %d events", keys[w], r.status, r.rule, len(evs))
					}
				default:
					t.Errorf("%s: status %d (%s)", keys[w], r.status, r.rule)
				}
			}
			if int(stream.Version) != 1+accepted || len(stream.Events) != 1+accepted {
				t.Fatalf("stream at version %d with %d events for %d accepted commands", stream.Version, len(stream.Events), accepted)
			}
			if statuses[http.StatusUnprocessableEntity] < workers/8*2 || accepted == 0 {
				t.Fatalf("statuses %v: the mix of commands did not happen", statuses)
			}
			t.Logf("statuses: %v", statuses)
		})
	}
}

// TestAcknowledgedCommandsSurviveKill9 streams commands to a command API
// process on a data directory, kills it with SIGKILL mid-stream, restarts it
// on the same directory, and checks that every acknowledged command is there:
// a retry with its key is answered with the same events, and the streams hold
// each of them exactly once, complete and without gaps.
func TestAcknowledgedCommandsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}

	child, base := startChild(t, dir)
	type acked struct {
		method, path, body, key string
		res                     commandapi.CommandResponse
	}
	var (
		mu   sync.Mutex
		acks []acked
	)
	const writers, killAfter = 8, 400
	var count atomic.Int64
	reached := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				orderID := fmt.Sprintf("w%d-o%d", w, n)
				cmds := []struct{ method, path, body string }{
					{http.MethodPost, "/orders", orderBody(orderID)},
					{http.MethodPost, "/orders/" + orderID + "/items", `{"productId":"p-2","name":"Tea","quantity":3,"unitPrice":199}`},
					{http.MethodDelete, "/orders/" + orderID + "/items/p-2", ""},
					{http.MethodPost, "/orders/" + orderID + "/pay", `{"paymentReference":"psp","amount":800}`},
				}
				for i, c := range cmds {
					key := fmt.Sprintf("%s-%d", orderID, i)
					r, err := send(ctx, client, base, c.method, c.path, c.body, map[string]string{"Idempotency-Key": key})
					if err != nil {
						return // the process is gone
					}
					if r.status >= 300 {
						t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.rule)
						return
					}
					mu.Lock()
					acks = append(acks, acked{c.method, c.path, c.body, key, r.response})
					mu.Unlock()
					if count.Add(1) == killAfter {
						close(reached)
					}
				}
			}
		}()
	}
	select {
	case <-reached: // kill while the writers are still sending
	case <-time.After(30 * time.Second):
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	close(stop)
	wg.Wait()
	if len(acks) < 50 {
		t.Fatalf("only %d commands acknowledged before the kill", len(acks))
	}

	// Restart on the same directory: every acknowledged command is found by
	// its key and answered as before, without a new event.
	child, base = startChild(t, dir)
	for _, a := range acks {
		r, err := send(ctx, client, base, a.method, a.path, a.body, map[string]string{"Idempotency-Key": a.key})
		if err != nil {
			t.Fatal(err)
		}
		if r.status >= 300 || r.response.Version != a.res.Version || !slices.Equal(r.response.EventIDs, a.res.EventIDs) {
			t.Fatalf("retry of acknowledged %s after restart: %d %s %+v, first answer %+v", a.key, r.status, r.rule, r.response, a.res)
		}
	}
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("child after SIGTERM: %v", err)
	}

	// The streams themselves: gap-free, every acknowledged event exactly once.
	_, store, _ := openRealStore(t, cosmosdb.Config{DataDir: dir})
	streams := map[string]bool{}
	for _, a := range acks {
		streams[order.StreamID(a.res.OrderID)] = true
	}
	seen := map[string]int{}
	for id := range streams {
		s, err := store.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range s.Events {
			if e.Version != int64(i+1) {
				t.Fatalf("%s: event %d has version %d", id, i, e.Version)
			}
			seen[e.EventID]++
		}
	}
	for _, a := range acks {
		for _, id := range a.res.EventIDs {
			if seen[id] != 1 {
				t.Fatalf("acknowledged event %s of %s is stored %d times", id, a.key, seen[id])
			}
		}
	}
	t.Logf("%d acknowledged commands in %d orders survived kill -9", len(acks), len(streams))
}

// startChild starts a command API process on dir and returns its base URL.
func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &lockedWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "LISTENING ") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child did not start: %q %v; stderr: %s", line, err, stderr.String())
	}
	return cmd, "http://" + strings.TrimSpace(strings.TrimPrefix(line, "LISTENING "))
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
