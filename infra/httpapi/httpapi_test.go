package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/infra/httpapi"
	"orderctx/infra/httpapi/httpapitest"
)

func TestAcceptRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"visible ASCII", "req-1:a/b", "req-1:a/b"},
		{"longest", strings.Repeat("x", httpapi.MaxRequestIDLength), strings.Repeat("x", httpapi.MaxRequestIDLength)},
		{"too long", strings.Repeat("x", httpapi.MaxRequestIDLength+1), ""},
		{"space", "a b", ""},
		{"control character", "a\x01", ""},
		{"not ASCII", "é", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := httpapi.AcceptRequestID(tc.in); got != tc.want {
				t.Fatalf("AcceptRequestID(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// observed is an echo instance from NewEcho that records what the
// middleware hands to the API.
type observed struct {
	e    *echo.Echo
	logs bytes.Buffer
	mu   sync.Mutex
	ids  []string // RequestID, as Done sees it
	errs []error  // from HandleError
}

func newObserved(t *testing.T, handler echo.HandlerFunc) *observed {
	t.Helper()
	o := &observed{}
	o.e = httpapi.NewEcho(httpapi.Observer{
		NewID: func() string { return "generated" },
		Log:   slog.New(slog.NewJSONHandler(&o.logs, nil)),
		HandleError: func(err error, c echo.Context) {
			o.mu.Lock()
			o.errs = append(o.errs, err)
			o.mu.Unlock()
			_ = httpapi.WriteProblem(c, http.StatusTeapot, 0, httpapi.Kind{Status: http.StatusTeapot, Slug: "x", Title: "X"}.Problem("", ""))
		},
		Done: func(c echo.Context, _ time.Time) {
			o.mu.Lock()
			o.ids = append(o.ids, httpapi.RequestID(c))
			o.mu.Unlock()
		},
	})
	o.e.GET("/", handler)
	return o
}

func (o *observed) get(requestID string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if requestID != "" {
		req.Header.Set(httpapi.HeaderRequestID, requestID)
	}
	rec := httptest.NewRecorder()
	o.e.ServeHTTP(rec, req)
	return rec
}

func TestObserve(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name      string
		handler   echo.HandlerFunc
		requestID string
		wantID    string
		wantErr   string // "" when HandleError must not be called
		wantStack bool
	}{
		{"answer", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, "client-1", "client-1", "", false},
		{"unusable id replaced", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, "a b", "generated", "", false},
		{"error", func(echo.Context) error { return boom }, "", "generated", "boom", false},
		{"panic", func(echo.Context) error { panic("nil map") }, "", "generated", "panic: nil map", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newObserved(t, tc.handler)
			rec := o.get(tc.requestID)
			if got := rec.Header().Get(httpapi.HeaderRequestID); got != tc.wantID || len(o.ids) != 1 || o.ids[0] != tc.wantID {
				t.Errorf("request id header %q, Done saw %v (once each), want %q", got, o.ids, tc.wantID)
			}
			switch {
			case tc.wantErr == "" && len(o.errs) != 0:
				t.Errorf("HandleError got %v", o.errs)
			case tc.wantErr != "" && (len(o.errs) != 1 || o.errs[0].Error() != tc.wantErr):
				t.Errorf("HandleError got %v, want %q", o.errs, tc.wantErr)
			case tc.wantErr != "" && rec.Code != http.StatusTeapot:
				t.Errorf("status %d, want the problem HandleError wrote", rec.Code)
			}
			if logged := strings.Contains(o.logs.String(), `"stack"`); logged != tc.wantStack {
				t.Errorf("stack logged = %v, want %v: %s", logged, tc.wantStack, o.logs.String())
			}
		})
	}
}

// TestObserveLetsAbortHandlerThrough: net/http's own sentinel panic must
// reach net/http, which uses it to abort a response without a log line.
func TestObserveLetsAbortHandlerThrough(t *testing.T) {
	t.Parallel()
	o := newObserved(t, func(echo.Context) error { panic(http.ErrAbortHandler) })
	defer func() {
		if r := recover(); r != http.ErrAbortHandler { //nolint:errorlint // compared as net/http does
			t.Fatalf("recovered %v, want http.ErrAbortHandler", r)
		}
		if len(o.errs) != 0 {
			t.Fatalf("HandleError got %v", o.errs)
		}
	}()
	o.get("")
	t.Fatal("the panic did not propagate")
}

func TestWriteProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		retryAfter time.Duration
		want       string // Retry-After
	}{
		{"unavailable rounds to whole seconds", http.StatusServiceUnavailable, 2400 * time.Millisecond, "2"},
		{"unavailable waits at least a second", http.StatusServiceUnavailable, 10 * time.Millisecond, "1"},
		{"other statuses carry none", http.StatusBadRequest, time.Second, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
			p := httpapi.Kind{Status: tc.status, Slug: "s", Title: "T"}.Problem("r-1", "/x")
			p.Detail = "a <b> & c"
			if err := httpapi.WriteProblem(c, tc.status, tc.retryAfter, p); err != nil {
				t.Fatal(err)
			}
			h := rec.Header()
			if rec.Code != tc.status || h.Get("Retry-After") != tc.want || h.Get("Cache-Control") != "no-store" || h.Get("Content-Type") != httpapi.ProblemContentType {
				t.Fatalf("status %d, headers %v", rec.Code, h)
			}
			want := `{"type":"urn:orderctx:problem:s","title":"T","status":` + strconv.Itoa(tc.status) + `,"detail":"a <b> & c","instance":"/x","requestId":"r-1"}` + "\n"
			if rec.Body.String() != want {
				t.Fatalf("body %s\nwant %s", rec.Body, want)
			}
		})
	}
}

func testServer(handler http.Handler) httpapi.Server {
	return httpapi.Server{
		Name: "test API", Handler: handler, Log: slog.New(slog.DiscardHandler),
		NewID: func() string { return "refusal-1" }, MaxHeaderBytes: 4 << 10, ShutdownTimeout: 5 * time.Second,
	}
}

// TestServeAnswersRefusalsWithProblems: the refusals net/http writes itself
// leave as problems; the handler's own answers, even a plain-text 400, pass
// unchanged.
func TestServeAnswersRefusalsWithProblems(t *testing.T) {
	t.Parallel()
	addr := httpapitest.Serve(t, testServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the handler's own", http.StatusBadRequest)
	})).Serve)
	tests := []struct {
		name   string
		raw    string
		status int
		rule   string
		detail string
	}{
		{"malformed request line", "GARBAGE\r\nHost: x\r\n\r\n", 400, httpapi.RuleMalformedRequest, "the request line or a header is malformed"},
		{"headers above the limit", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", 431, httpapi.RuleHeadersTooLarge, "exceed 4096 bytes"},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, httpapi.RuleTransferEncoding, "chunked"},
		{"HTTP/3.0", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505, httpapi.RuleHTTPVersion, "HTTP/1.1"},
		{"the handler's plain-text 400", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "", "the handler's own"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := httpapitest.Exchange(t, addr, tc.raw)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.detail) {
				t.Fatalf("status %d %q, want %d with %q", resp.StatusCode, body, tc.status, tc.detail)
			}
			if tc.rule == "" {
				if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Fatalf("the handler's answer was rewritten: %s %q", ct, body)
				}
				return
			}
			var p httpapi.Problem
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil || resp.Header.Get("Content-Type") != httpapi.ProblemContentType {
				t.Fatalf("not a problem: %s %q (%v)", resp.Header.Get("Content-Type"), body, err)
			}
			if p.Status != tc.status || p.Rule != tc.rule || p.RequestID != "refusal-1" || resp.Header.Get(httpapi.HeaderRequestID) != "refusal-1" || !resp.Close {
				t.Fatalf("problem %+v, headers %v", p, resp.Header)
			}
		})
	}
}

// TestServeShutsDownGracefully: when the context ends, BeforeShutdown runs,
// a request in flight still gets its answer, and Serve returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	s := testServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	}))
	before := make(chan struct{})
	s.BeforeShutdown = func() { close(before) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- string(b)
	}()
	<-entered
	cancel()
	<-before
	close(release)
	if got := <-answered; got != "finished" {
		t.Fatalf("the request in flight got %q", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestServeRefusesAnIncompleteServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := (httpapi.Server{Name: "test API"}).Serve(context.Background(), ln); err == nil {
		t.Fatal("Serve without a handler returned nil")
	}
}

// TestNewEchoHandsEchosErrorsToHandleError: a request for no route passes
// through Observe too, and its 404 reaches HandleError.
func TestNewEchoHandsEchosErrorsToHandleError(t *testing.T) {
	t.Parallel()
	o := newObserved(t, func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	rec := httptest.NewRecorder()
	o.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	var he *echo.HTTPError
	if len(o.errs) != 1 || !errors.As(o.errs[0], &he) || he.Code != http.StatusNotFound {
		t.Fatalf("HandleError got %v, want echo's 404", o.errs)
	}
	if len(o.ids) != 1 || o.ids[0] != "generated" || rec.Header().Get(httpapi.HeaderRequestID) != "generated" {
		t.Fatalf("request ids %v, header %q", o.ids, rec.Header().Get(httpapi.HeaderRequestID))
	}
}

func TestRecord(t *testing.T) {
	t.Parallel()
	type info struct{ n int }
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	httpapi.Record[info](c, "k").n = 7
	if got := httpapi.Record[info](c, "k").n; got != 7 {
		t.Fatalf("the second call saw n = %d, want the first call's record", got)
	}
	if got := httpapi.RequestID(c); got != "" {
		t.Fatalf("RequestID without Observe = %q", got)
	}
}
