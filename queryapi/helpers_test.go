package queryapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/queryapi"
	"orderctx/queryapi/internal/viewtest"
)

var t0 = viewtest.T0

// memFeed is a change feed held in memory: Push adds documents, Next hands
// out what is pending and reports caught up when nothing is. Fail makes the
// next Next calls fail; Hold keeps it from ever catching up.
type memFeed struct {
	mu      sync.Mutex
	pending [][]byte
	fail    int
	hold    bool
}

func (f *memFeed) Push(docs ...[]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, docs...)
}

func (f *memFeed) Next(ctx context.Context) ([][]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return nil, false, io.ErrUnexpectedEOF
	}
	page := f.pending
	if len(page) > 3 {
		page = page[:3] // several pages, as a real feed would
	}
	f.pending = f.pending[len(page):]
	return page, len(page) == 0 && !f.hold, nil
}

// fixture is a query API following in-memory feeds, served over HTTP.
type fixture struct {
	api   *queryapi.API
	views *memFeed
	url   string
	logs  *syncBuffer
}

// newFixture starts an API on deps (a memFeed for views when deps.Views is
// nil) and waits until it is ready unless the views feed holds.
func newFixture(t testing.TB, deps queryapi.Deps, opts queryapi.Options, specs ...viewtest.Spec) *fixture {
	t.Helper()
	f := &fixture{logs: &syncBuffer{}}
	if deps.Views == nil && deps.Source == nil {
		f.views = &memFeed{}
		deps.Views = f.views
	} else if mf, ok := deps.Views.(*memFeed); ok {
		f.views = mf
	}
	for _, s := range specs {
		f.views.Push(s.Doc())
	}
	if opts.ActivePollInterval == 0 {
		opts.ActivePollInterval = time.Millisecond
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Millisecond
	}
	if opts.AuditPollInterval == 0 {
		opts.AuditPollInterval = time.Millisecond
	}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.api = queryapi.New(deps, log, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.api.Follow(ctx) }()
	srv := httptest.NewServer(f.api.Handler())
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	f.url = srv.URL
	if f.views == nil || !f.views.hold {
		waitReady(t, f.api)
	}
	return f
}

func waitReady(t testing.TB, api *queryapi.API) {
	t.Helper()
	select {
	case <-api.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the query API did not become ready within 10s")
	}
}

// response is what a test learned from one request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
}

func get(t testing.TB, url string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// wantProblem checks a problem response: status, media type, rule, and
// the field at fault when one is named.
func wantProblem(t testing.TB, r response, status int, rule, field string) queryapi.Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != queryapi.ProblemContentType {
		t.Fatalf("Content-Type %q: %s", ct, r.body)
	}
	var p queryapi.Problem
	r.json(t, &p)
	if p.Status != status || !strings.HasPrefix(p.Type, "urn:orderctx:problem:") || p.Title == "" || p.RequestID == "" {
		t.Fatalf("problem %+v", p)
	}
	if rule != "" && p.Rule != rule && !hasRule(p, rule, field) {
		t.Fatalf("rule %q, want %q: %s", p.Rule, rule, r.body)
	}
	if field != "" && !hasRule(p, rule, field) {
		t.Fatalf("no error for field %q with rule %q: %s", field, rule, r.body)
	}
	if status == http.StatusServiceUnavailable && r.header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	return p
}

func hasRule(p queryapi.Problem, rule, field string) bool {
	for _, e := range p.Errors {
		if e.Rule == rule && (field == "" || e.Field == field) {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func spec(id, status, buyer string, total int64, placedHours int, version int64) viewtest.Spec {
	return viewtest.Spec{ID: id, Status: status, Buyer: buyer, Currency: "EUR", Total: total, Placed: t0.Add(time.Duration(placedHours) * time.Hour), Version: version}
}

// Release lets a held feed catch up.
func (f *memFeed) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = false
}

func readiness(t testing.TB, base string) queryapi.Readiness {
	t.Helper()
	var r queryapi.Readiness
	get(t, base+"/readyz").json(t, &r)
	return r
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// noEvents is an event reader of an empty store.
type noEvents struct{}

func (noEvents) ReadEvent(ctx context.Context, streamID string, version int64) (es.Envelope, error) {
	return es.Envelope{}, es.Errorf(es.NotFound, "es.event_not_found", "no events")
}
