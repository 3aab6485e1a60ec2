package queryapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"orderctx/queryapi"
	"orderctx/queryapi/live"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	id, event, data string
}

// sseStream reads server-sent events from a live response.
type sseStream struct {
	resp   *http.Response
	lines  *bufio.Reader
	cancel context.CancelFunc
}

func openLive(t *testing.T, url string, headers ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{resp: resp, lines: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("live: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return s
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

// next returns the next event, skipping comments and the retry field.
func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	var e sseEvent
	for {
		line, err := s.lines.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v (partial event %+v)", err, e)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if e.event != "" || e.data != "" {
				return e
			}
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.data = line[6:]
		}
	}
}

// orders reads n "order" events and returns them.
func (s *sseStream) orders(t *testing.T, n int) []sseEvent {
	t.Helper()
	out := make([]sseEvent, 0, n)
	for len(out) < n {
		e := s.next(t)
		if e.event != "order" {
			t.Fatalf("event %+v, want an order", e)
		}
		out = append(out, e)
	}
	return out
}

func versionOf(t *testing.T, e sseEvent) (string, int64) {
	t.Helper()
	var v struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	if err := json.Unmarshal([]byte(e.data), &v); err != nil {
		t.Fatalf("data %q: %v", e.data, err)
	}
	return v.ID, v.Version
}

func TestLiveStreamsChangesAndResumes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, spec("o-1", "submitted", "b-1", 1, 0, 1))
	s := openLive(t, f.url+"/live")
	hello := s.next(t)
	if hello.event != "hello" || hello.id == "" || !strings.Contains(hello.data, hello.id) {
		t.Fatalf("first event %+v", hello)
	}
	f.views.Push(spec("o-1", "paid", "b-1", 1, 0, 2).Doc(), spec("o-2", "submitted", "b-1", 1, 1, 1).Doc())
	got := s.orders(t, 2)
	if id, v := versionOf(t, got[0]); id != "o-1" || v != 2 {
		t.Fatalf("first change %s@%d", id, v)
	}
	if strings.Contains(got[0].data, "_etag") || got[0].id == got[1].id {
		t.Fatalf("changes %+v", got)
	}
	s.close()

	// Changes made while the client is away are replayed after its last id.
	f.views.Push(spec("o-3", "submitted", "b-1", 1, 1, 1).Doc(), spec("o-2", "paid", "b-1", 1, 1, 2).Doc())
	waitFor(t, "the changes applied", func() bool { return get(t, f.url+"/orders/o-2?minVersion=2").status == 200 })
	r := openLive(t, f.url+"/live", "Last-Event-ID", got[0].id)
	replay := r.orders(t, 3)
	want := []string{"o-2@1", "o-3@1", "o-2@2"}
	for i, e := range replay {
		id, v := versionOf(t, e)
		if got := fmt.Sprintf("%s@%d", id, v); got != want[i] {
			t.Fatalf("replayed %s at %d, want %s", got, i, want[i])
		}
	}
	if replay[0].id != got[1].id {
		t.Fatalf("replay starts at %s, want %s", replay[0].id, got[1].id)
	}
	// ... and the stream goes on live.
	f.views.Push(spec("o-4", "submitted", "b-1", 1, 1, 1).Doc())
	if id, _ := versionOf(t, r.orders(t, 1)[0]); id != "o-4" {
		t.Fatalf("live change %s", id)
	}
	// The query parameter works for clients that cannot set headers.
	q := openLive(t, f.url+"/live?lastEventId="+replay[2].id)
	if id, _ := versionOf(t, q.orders(t, 1)[0]); id != "o-4" {
		t.Fatalf("resumed by parameter at %s", id)
	}
}

func TestLiveResetsPositionsItCannotResume(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{Live: live.Options{RingSize: 2}}, spec("o-1", "submitted", "b-1", 1, 0, 1))
	s := openLive(t, f.url+"/live")
	hello := s.next(t) // at the first view's position; the ring will keep the last two
	f.views.Push(spec("o-2", "submitted", "b-1", 1, 0, 1).Doc(), spec("o-3", "submitted", "b-1", 1, 0, 1).Doc(), spec("o-4", "submitted", "b-1", 1, 0, 1).Doc())
	changes := s.orders(t, 3)
	for name, tc := range map[string]struct{ lastID, reason string }{
		"older than the ring": {hello.id, "older than the 2 changes"},
		"another instance":    {"0badc0de-2", "another server instance"},
		"not a position":      {"x", "not one this server issued"},
	} {
		t.Run(name, func(t *testing.T) {
			r := openLive(t, f.url+"/live", "Last-Event-ID", tc.lastID)
			e := r.next(t)
			if e.event != "reset" || e.id != changes[2].id || !strings.Contains(e.data, tc.reason) {
				t.Fatalf("event %+v, want a reset to %s for %q", e, changes[2].id, tc.reason)
			}
		})
	}
	// The position just before the oldest kept change still resumes.
	r := openLive(t, f.url+"/live", "Last-Event-ID", changes[0].id)
	if e := r.next(t); e.event != "order" || e.id != changes[1].id {
		t.Fatalf("resumed with %+v", e)
	}
	wantProblem(t, get(t, f.url+"/live", "Last-Event-ID", strings.Repeat("9", 65)), 400, queryapi.RuleHeader, "Last-Event-ID")
	wantProblem(t, get(t, f.url+"/live?since=1"), 400, queryapi.RuleUnknownParameter, "since")
}

func TestLiveBoundsSubscribers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{Live: live.Options{MaxSubscribers: 1}})
	s := openLive(t, f.url+"/live")
	s.next(t)
	wantProblem(t, get(t, f.url+"/live"), 503, queryapi.RuleTooManySubscribers, "")
	s.close()
	waitFor(t, "the subscriber gone", func() bool { return readiness(t, f.url).Subscribers == 0 })
	openLive(t, f.url+"/live").next(t)
}

func TestLiveHeartbeat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{Heartbeat: 10 * time.Millisecond})
	s := openLive(t, f.url+"/live")
	s.next(t)
	for {
		line, err := s.lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == ": keep-alive\n" {
			return
		}
	}
}

// blockingWriter is a client that stops reading: its writes block until
// released, as a full socket would.
type blockingWriter struct {
	mu      sync.Mutex
	header  http.Header
	buf     strings.Builder
	release chan struct{}
	blocked chan struct{}
	once    sync.Once
}

func (w *blockingWriter) Header() http.Header { return w.header }
func (w *blockingWriter) WriteHeader(int)     {}
func (w *blockingWriter) Flush()              {}
func (w *blockingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	n := w.buf.Len()
	w.mu.Unlock()
	if n > 0 && strings.Contains(string(p), "event: order") {
		w.once.Do(func() { close(w.blocked) })
		<-w.release
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.WriteString(string(p))
}

func TestLiveDropsASlowSubscriber(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{Live: live.Options{Buffer: 4}})
	w := &blockingWriter{header: http.Header{}, release: make(chan struct{}), blocked: make(chan struct{})}
	req := httptest.NewRequest(http.MethodGet, "/live", nil)
	served := make(chan struct{})
	go func() { defer close(served); f.api.Handler().ServeHTTP(w, req) }()
	waitFor(t, "the subscriber", func() bool { return readiness(t, f.url).Subscribers == 1 })
	// The first change blocks the writer; the next ones fill its buffer of
	// 4; one more drops it.
	f.views.Push(spec("o-1", "paid", "b", 1, 0, 1).Doc())
	<-w.blocked
	for i := 2; i <= 7; i++ {
		f.views.Push(spec("o-1", "paid", "b", 1, 0, int64(i)).Doc())
	}
	waitFor(t, "the drop", func() bool { return readiness(t, f.url).Subscribers == 0 })
	close(w.release)
	<-served
	w.mu.Lock()
	out := w.buf.String()
	w.mu.Unlock()
	if !strings.Contains(out, "event: close\ndata: {\"reason\":\"the subscriber did not keep up: 4 changes were waiting for it\"}") {
		t.Fatalf("stream ended without a clear close:\n%s", out)
	}
}

func TestLiveEndsOnShutdown(t *testing.T) {
	t.Parallel()
	api := queryapi.New(queryapi.Deps{Views: &memFeed{}}, slog.New(slog.DiscardHandler), queryapi.Options{PollInterval: time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go api.Follow(ctx)
	served := make(chan error, 1)
	go func() { served <- api.Serve(ctx, ln) }()
	waitReady(t, api)
	s := openLive(t, "http://"+ln.Addr().String()+"/live")
	s.next(t)
	cancel()
	if e := s.next(t); e.event != "close" || !strings.Contains(e.data, "shutting down") {
		t.Fatalf("event %+v, want close", e)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
