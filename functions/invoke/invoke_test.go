package invoke_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"orderctx/functions"
	"orderctx/functions/funcapp"
	"orderctx/functions/invoke"
	"orderctx/functions/protocol"
)

func checkedInApp(t testing.TB) *funcapp.App {
	t.Helper()
	app, err := funcapp.Load("../..", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// attempt is what the consumer saw of one invocation.
type attempt struct {
	docs []json.RawMessage
	inv  functions.Invocation
}

// flaky is a Consumer that fails its first `failures` invocations (-1:
// always) and records every one.
type flaky struct {
	mu       sync.Mutex
	failures int
	seen     []attempt
}

func (f *flaky) Handle(ctx context.Context, docs []json.RawMessage) (functions.Result, error) {
	inv, _ := functions.InvocationFrom(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, attempt{docs, inv})
	if f.failures < 0 || len(f.seen) <= f.failures {
		return functions.Result{}, errors.New("store unavailable")
	}
	return functions.Result{Logs: []string{fmt.Sprintf("handled %d documents", len(docs))}}, nil
}

func (f *flaky) attempts() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]attempt(nil), f.seen...)
}

// consumersFor registers c for every function of app.
func consumersFor(app *funcapp.App, c functions.Consumer) map[string]functions.Consumer {
	m := map[string]functions.Consumer{}
	for _, fn := range app.Functions {
		m[fn.Name] = c
	}
	return m
}

// handlerFor serves the checked-in app with c for every function, behind a
// wrapper that records each request's headers and body.
func handlerFor(t testing.TB, c functions.Consumer) (http.Handler, *requests) {
	t.Helper()
	app := checkedInApp(t)
	consumers := consumersFor(app, c)
	h, err := functions.NewHandler(app, consumers, functions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reqs := &requests{next: h}
	return reqs, reqs
}

// requests records what reached the handler.
type requests struct {
	next    http.Handler
	mu      sync.Mutex
	headers []http.Header
	bodies  [][]byte
	paths   []string
}

func (r *requests) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.headers, r.bodies, r.paths = append(r.headers, req.Header.Clone()), append(r.bodies, body), append(r.paths, req.URL.Path)
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	r.next.ServeHTTP(w, req)
}

// batch is n documents in feed order.
func batch(n int) []json.RawMessage {
	docs := make([]json.RawMessage, n)
	for i := range docs {
		docs[i] = json.RawMessage(fmt.Sprintf(`{"id":"order-1:%d","streamId":"order-1","version":%d,"type":"order.placed","data":{"note":"a \"quoted\" \\ line\n"},"_etag":"\"%08x\""}`, i+1, i+1, i))
	}
	return docs
}

// waits records the retry delays instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
	// after, when > 0, cancels cancel once that many waits happened.
	after  int
	cancel context.CancelFunc
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	n := len(w.d)
	w.mu.Unlock()
	if w.after > 0 && n == w.after {
		w.cancel()
	}
	return ctx.Err()
}

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestInProcessRoundTrip(t *testing.T) {
	t.Parallel()
	c := &flaky{}
	h, reqs := handlerFor(t, c)
	app := checkedInApp(t)
	now := time.Date(2025, 4, 9, 4, 46, 10, 723203000, time.UTC)
	inv := invoke.New(*app.Function("ProjectOrders"), invoke.InProcess(h), invoke.Options{Now: func() time.Time { return now }})
	docs := batch(25)
	reply, err := inv.Invoke(context.Background(), docs)
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.Logs) != 1 || reply.Logs[0] != "handled 25 documents" {
		t.Errorf("reply %+v", reply)
	}
	seen := c.attempts()
	if len(seen) != 1 {
		t.Fatalf("%d invocations", len(seen))
	}
	assertSameDocuments(t, seen[0].docs, docs)

	// What reached the handler is what the host sends.
	hdr := reqs.headers[0]
	if reqs.paths[0] != "/ProjectOrders" || !guid.MatchString(hdr.Get(protocol.HeaderInvocationID)) ||
		hdr.Get(protocol.HeaderHostVersion) != invoke.DefaultHostVersion || hdr.Get("User-Agent") != "Azure-Functions-Host/"+invoke.DefaultHostVersion {
		t.Errorf("path %s, headers %v", reqs.paths[0], hdr)
	}
	if seen[0].inv.ID != hdr.Get(protocol.HeaderInvocationID) {
		t.Errorf("consumer saw invocation %q, header %q", seen[0].inv.ID, hdr.Get(protocol.HeaderInvocationID))
	}
	req, err := protocol.DecodeRequest(reqs.bodies[0], "documents", protocol.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sys := req.Metadata.Sys
	if req.Encoding != protocol.Double || sys.MethodName != "ProjectOrders" || !sys.UtcNow.Equal(now) || !guid.MatchString(sys.RandGuid) || req.Metadata.RetryContext != nil {
		t.Errorf("encoding %d, metadata %+v", req.Encoding, req.Metadata)
	}
	// An independent reader sees Data.documents as a string holding a string.
	var env struct{ Data map[string]string }
	if err := json.Unmarshal(reqs.bodies[0], &env); err != nil || !strings.HasPrefix(env.Data["documents"], `"[{\"id\":`) {
		t.Errorf("Data.documents is not double-encoded: %.60s (%v)", env.Data["documents"], err)
	}
}

func assertSameDocuments(t *testing.T, got, want []json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d documents, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("document %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestRetriesFollowThePolicy(t *testing.T) {
	t.Parallel()
	exp := &funcapp.RetryPolicy{Strategy: funcapp.ExponentialBackoff, MaxRetryCount: funcapp.Forever, MinimumInterval: 2 * time.Second, MaximumInterval: 5 * time.Minute}
	fixed := &funcapp.RetryPolicy{Strategy: funcapp.FixedDelay, MaxRetryCount: 2, DelayInterval: 10 * time.Second}
	cases := []struct {
		name      string
		policy    *funcapp.RetryPolicy
		failures  int
		succeeds  bool
		wantWaits []time.Duration
	}{
		// jitter 0.5: the random factor is 1.0, so min + 2^(n-2) * min.
		{"exponential, forever, until it succeeds", exp, 5, true, []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second, 10 * time.Second, 18 * time.Second}},
		{"fixed delay, retries run out", fixed, -1, false, []time.Duration{10 * time.Second, 10 * time.Second}},
		{"fixed delay, succeeds on the last retry", fixed, 2, true, []time.Duration{10 * time.Second, 10 * time.Second}},
		{"no policy: one attempt", nil, -1, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cons := &flaky{failures: c.failures}
			h, _ := handlerFor(t, cons)
			fn := *checkedInApp(t).Function("PublishIntegrationEvents")
			fn.Retry = c.policy
			w := &waits{}
			inv := invoke.New(fn, invoke.InProcess(h), invoke.Options{Sleep: w.sleep, Jitter: func() float64 { return 0.5 }})
			docs := batch(3)
			_, err := inv.Invoke(context.Background(), docs)
			if c.succeeds != (err == nil) {
				t.Fatalf("error %v", err)
			}
			var f *invoke.Failure
			if err != nil && (!errors.As(err, &f) || f.Status != http.StatusInternalServerError) {
				t.Errorf("error %v, want a 500 Failure", err)
			}
			if !equalDurations(w.d, c.wantWaits) {
				t.Errorf("waits %v, want %v", w.d, c.wantWaits)
			}
			seen := cons.attempts()
			if len(seen) != len(c.wantWaits)+1 {
				t.Fatalf("%d attempts, want %d", len(seen), len(c.wantWaits)+1)
			}
			ids := map[string]bool{}
			for n, a := range seen {
				assertSameDocuments(t, a.docs, docs)
				ids[a.inv.ID] = true
				rc := a.inv.Metadata.RetryContext
				if n == 0 {
					if rc != nil {
						t.Errorf("first attempt carries %+v", rc)
					}
					continue
				}
				if rc == nil || rc.RetryCount != n || rc.MaxRetryCount != c.policy.MaxRetryCount || rc.Exception == nil ||
					rc.Exception.Message != "Response status code does not indicate success: 500 (Internal Server Error)." {
					t.Errorf("retry %d carries %+v", n, rc)
				}
			}
			if len(ids) != len(seen) {
				t.Errorf("invocation ids repeat: %v", ids)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestContextEndsEndlessRetries(t *testing.T) {
	t.Parallel()
	h, _ := handlerFor(t, &flaky{failures: -1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &waits{after: 3, cancel: cancel}
	inv := invoke.New(*checkedInApp(t).Function("SnapshotOrders"), invoke.InProcess(h), invoke.Options{Sleep: w.sleep})
	_, err := inv.Invoke(ctx, batch(1))
	var f *invoke.Failure
	if !errors.Is(err, context.Canceled) || !errors.As(err, &f) {
		t.Fatalf("error %v, want the last failure and the cancellation", err)
	}
	if len(w.d) != 3 {
		t.Errorf("%d waits", len(w.d))
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	p := &funcapp.RetryPolicy{Strategy: funcapp.ExponentialBackoff, MaxRetryCount: -1, MinimumInterval: 2 * time.Second, MaximumInterval: 5 * time.Minute}
	cases := []struct {
		retry  int
		jitter float64
		want   time.Duration
	}{
		{1, 0.9, 2 * time.Second},
		{2, 0, 2*time.Second + 1600*time.Millisecond},           // factor 0.8
		{2, 0.999999999, 2*time.Second + 2400*time.Millisecond}, // factor just under 1.2
		{3, 0.5, 6 * time.Second},
		{9, 0.5, 2*time.Second + 128*2*time.Second},
		{10, 0.5, 5 * time.Minute}, // 514 s, capped
		{5000, 0, 5 * time.Minute},
	}
	for _, c := range cases {
		if got := invoke.Delay(p, c.retry, c.jitter); got.Round(time.Millisecond) != c.want {
			t.Errorf("Delay(retry %d, jitter %v) = %s, want %s", c.retry, c.jitter, got, c.want)
		}
	}
	fixed := &funcapp.RetryPolicy{Strategy: funcapp.FixedDelay, DelayInterval: 7 * time.Second}
	if got := invoke.Delay(fixed, 12, 0.3); got != 7*time.Second {
		t.Errorf("fixed delay %s", got)
	}
}

// A 2xx reply the host cannot read fails the invocation, as in the host.
func TestUnreadableReplyFails(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	inv := invoke.New(*checkedInApp(t).Function("ProjectOrders"), invoke.InProcess(h), invoke.Options{})
	if _, err := inv.Attempt(context.Background(), batch(1), nil); err == nil {
		t.Fatal("accepted a reply that is not an invocation result")
	}
}
