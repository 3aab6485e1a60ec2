package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"orderctx/functions"
	"orderctx/functions/funcapp"
	"orderctx/functions/protocol"
)

// checkedInApp is the Functions app at the repository root.
func checkedInApp(t testing.TB) *funcapp.App {
	t.Helper()
	app, err := funcapp.Load("..", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// recorder is a Consumer that remembers every call and answers with the
// next scripted outcome (success once the script runs out).
type recorder struct {
	mu      sync.Mutex
	calls   []call
	script  []error
	logs    []string
	onCall  func(ctx context.Context)
	panicOn int // 1-based call that panics; 0: none
}

type call struct {
	docs []json.RawMessage
	inv  functions.Invocation
	ok   bool
}

func (r *recorder) Handle(ctx context.Context, docs []json.RawMessage) (functions.Result, error) {
	r.mu.Lock()
	inv, ok := functions.InvocationFrom(ctx)
	r.calls = append(r.calls, call{docs: docs, inv: inv, ok: ok})
	n := len(r.calls)
	var err error
	if n <= len(r.script) {
		err = r.script[n-1]
	}
	r.mu.Unlock()
	if r.onCall != nil {
		r.onCall(ctx)
	}
	if n == r.panicOn {
		panic("consumer bug")
	}
	if err != nil {
		return functions.Result{}, err
	}
	return functions.Result{Logs: r.logs}, nil
}

func (r *recorder) Calls() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// newHandler serves the checked-in app with one recorder per function.
func newHandler(t testing.TB, opts functions.Options) (*functions.Handler, map[string]*recorder) {
	t.Helper()
	app := checkedInApp(t)
	recs := map[string]*recorder{}
	consumers := map[string]functions.Consumer{}
	for _, fn := range app.Functions {
		recs[fn.Name] = &recorder{}
		consumers[fn.Name] = recs[fn.Name]
	}
	h, err := functions.NewHandler(app, consumers, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h, recs
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostPost is a request shaped as the Functions host sends it.
func hostPost(function string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:7071/"+function, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set(protocol.HeaderInvocationID, "6e3d0f1c-8d2b-4b8e-9a51-0c7e3f1d2a44")
	r.Header.Set(protocol.HeaderHostVersion, "4.1036.1.1")
	r.Header.Set("User-Agent", "Azure-Functions-Host/4.1036.1.1")
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHostInvocationReachesTheConsumer(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{})
	recs["ProjectOrders"].logs = []string{"projected 2 events", `stream "order-7f3c" at version 2`}
	w := serve(h, hostPost("ProjectOrders", readFile(t, "protocol/testdata/host-request.json")))

	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	if want := `{"Outputs":{},"Logs":["projected 2 events","stream \"order-7f3c\" at version 2"],"ReturnValue":null}`; w.Body.String() != want {
		t.Errorf("reply\n got %s\nwant %s", w.Body, want)
	}
	calls := recs["ProjectOrders"].Calls()
	if len(calls) != 1 || len(recs["PublishIntegrationEvents"].Calls()) != 0 {
		t.Fatalf("calls: %d to the projector, %d to the publisher", len(calls), len(recs["PublishIntegrationEvents"].Calls()))
	}
	want := bytes.Split(bytes.TrimSpace(readFile(t, "protocol/testdata/documents.jsonl")), []byte("\n"))
	if len(calls[0].docs) != len(want) {
		t.Fatalf("got %d documents, want %d", len(calls[0].docs), len(want))
	}
	for i := range want {
		if !bytes.Equal(calls[0].docs[i], want[i]) {
			t.Errorf("document %d:\n got %s\nwant %s", i, calls[0].docs[i], want[i])
		}
	}
	inv := calls[0].inv
	if !calls[0].ok || inv.ID != "6e3d0f1c-8d2b-4b8e-9a51-0c7e3f1d2a44" || inv.Function != "ProjectOrders" || inv.HostVersion != "4.1036.1.1" ||
		inv.Metadata.Sys.MethodName != "ProjectOrders" || inv.Metadata.Sys.RandGuid != "0d00378b-6426-4af1-9fc0-0793f4ce3745" ||
		inv.Metadata.Sys.UtcNow.IsZero() || inv.RetryCount() != 0 {
		t.Errorf("invocation %+v (found %v)", inv, calls[0].ok)
	}
}

func TestEveryEncodingOfTheDocumentsIsAccepted(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{})
	arr := `[{"id":"1"},{"id":"2"},{"id":"3"}]`
	single, _ := json.Marshal(arr)
	double, _ := json.Marshal(string(single))
	for _, data := range []string{string(double), string(single), arr} {
		w := serve(h, hostPost("SnapshotOrders", []byte(`{"Data":{"documents":`+data+`},"Metadata":{}}`)))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d %s", data, w.Code, w.Body)
		}
	}
	for i, c := range recs["SnapshotOrders"].Calls() {
		if got, _ := json.Marshal(c.docs); string(got) != arr {
			t.Errorf("call %d: documents %s", i, got)
		}
	}
}

func TestRetryContextReachesTheConsumer(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{})
	body := `{"Data":{"documents":"\"[{\\\"id\\\":\\\"1\\\"}]\""},"Metadata":{"sys":{"MethodName":"PublishIntegrationEvents","UtcNow":"2025-04-09T04:46:10.723203Z","RandGuid":"g"},
		"RetryContext":{"RetryCount":4,"MaxRetryCount":-1,"Exception":{"ClassName":"System.Net.Http.HttpRequestException","Message":"Response status code does not indicate success: 500 (Internal Server Error).","Source":"System.Net.Http"}}}}`
	if w := serve(h, hostPost("PublishIntegrationEvents", []byte(body))); w.Code != http.StatusOK {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	inv := recs["PublishIntegrationEvents"].Calls()[0].inv
	rc := inv.Metadata.RetryContext
	if inv.RetryCount() != 4 || rc == nil || rc.MaxRetryCount != -1 || rc.Exception == nil || !strings.Contains(rc.Exception.Message, "500") {
		t.Errorf("retry context %+v", rc)
	}
}

// problemOf checks a problem+json reply and returns it.
func problemOf(t *testing.T, w *httptest.ResponseRecorder, status int) map[string]any {
	t.Helper()
	if w.Code != status || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d (want %d), content type %q: %s", w.Code, status, w.Header().Get("Content-Type"), w.Body)
	}
	var p map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p["status"] != float64(status) || p["type"] == "" {
		t.Errorf("problem %v", p)
	}
	return p
}

func TestConsumerErrorFailsTheInvocation(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{})
	recs["ProjectOrders"].script = []error{errors.New("views container throttled: secret internals")}
	recs["ProjectOrders"].logs = []string{"never sent"}
	w := serve(h, hostPost("ProjectOrders", readFile(t, "protocol/testdata/host-request.json")))
	p := problemOf(t, w, http.StatusInternalServerError)
	if p["invocationId"] != "6e3d0f1c-8d2b-4b8e-9a51-0c7e3f1d2a44" || strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "never sent") {
		t.Errorf("problem %s", w.Body)
	}
}

func TestConsumerPanicFailsTheInvocation(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{})
	recs["ProjectOrders"].panicOn = 1
	problemOf(t, serve(h, hostPost("ProjectOrders", readFile(t, "protocol/testdata/host-request.json"))), http.StatusInternalServerError)
	// The handler goes on serving.
	if w := serve(h, hostPost("ProjectOrders", readFile(t, "protocol/testdata/host-request.json"))); w.Code != http.StatusOK {
		t.Fatalf("after a panic: status %d", w.Code)
	}
}

func TestCancelledConsumerIsUnavailable(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{})
	recs["ProjectOrders"].script = []error{context.Canceled}
	problemOf(t, serve(h, hostPost("ProjectOrders", readFile(t, "protocol/testdata/host-request.json"))), http.StatusServiceUnavailable)
}

func TestReadinessProbe(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t, functions.Options{})
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/", nil),
		httptest.NewRequest(http.MethodHead, "/", nil),
		httptest.NewRequest(http.MethodGet, "/ProjectOrders", nil),
	} {
		if w := serve(h, r); w.Code != http.StatusOK {
			t.Errorf("%s %s: status %d", r.Method, r.URL, w.Code)
		}
	}
}

func TestRoutingFailures(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t, functions.Options{})
	problemOf(t, serve(h, hostPost("NoSuchFunction", []byte(`{}`))), http.StatusNotFound)
	problemOf(t, serve(h, hostPost("", []byte(`{}`))), http.StatusNotFound)
	w := serve(h, httptest.NewRequest(http.MethodPut, "/ProjectOrders", nil))
	problemOf(t, w, http.StatusMethodNotAllowed)
	if w.Header().Get("Allow") == "" {
		t.Error("405 without Allow")
	}
	// Function names match in any case, as the host's do.
	if w := serve(h, hostPost("projectorders", []byte(`{"Data":{"documents":"\"[]\""}}`))); w.Code != http.StatusOK {
		t.Errorf("lower-case route: status %d", w.Code)
	}
}

func TestUnreadableRequests(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{Limits: protocol.Limits{MaxBodyBytes: 1 << 10, MaxDocuments: 2}})
	hostile := `{"Data":{"documents":` + strings.Repeat("[", 30_000) + `}}`
	cases := []struct {
		name   string
		req    *http.Request
		status int
		field  string
		rule   string
	}{
		{"not JSON", hostPost("ProjectOrders", []byte(`{"Data":`)), 400, "", protocol.RuleMalformed},
		{"no documents", hostPost("ProjectOrders", []byte(`{"Data":{"items":"[]"}}`)), 400, "Data.documents", protocol.RuleMissingBinding},
		{"too many documents", hostPost("ProjectOrders", []byte(`{"Data":{"documents":[{},{},{}]}}`)), 400, "Data.documents", protocol.RuleTooMany},
		{"too large", hostPost("ProjectOrders", bytes.Repeat([]byte(" "), 2<<10)), 413, "", protocol.RuleTooLarge},
		{"too large, chunked", chunked(hostPost("ProjectOrders", bytes.Repeat([]byte(" "), 2<<10))), 413, "", protocol.RuleTooLarge},
		{"hostile nesting", chunked(hostPost("ProjectOrders", []byte(hostile))), 413, "", protocol.RuleTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := problemOf(t, serve(h, c.req), c.status)
			if p["rule"] != c.rule || (p["field"] != nil && p["field"] != c.field) || (p["field"] == nil && c.field != "") {
				t.Errorf("problem %v, want field %q rule %q", p, c.field, c.rule)
			}
		})
	}
	if n := len(recs["ProjectOrders"].Calls()); n != 0 {
		t.Errorf("the consumer was called %d times", n)
	}
	// With the default limits, the 60 KB of '[' is refused for its depth.
	hd, _ := newHandler(t, functions.Options{})
	if p := problemOf(t, serve(hd, hostPost("ProjectOrders", []byte(hostile))), 400); p["rule"] != protocol.RuleTooDeep {
		t.Errorf("hostile nesting: %v", p)
	}
}

// chunked hides the request's length, as a chunked upload does.
func chunked(r *http.Request) *http.Request {
	r.ContentLength = -1
	return r
}

func TestHandlerRefusesUnmatchedConsumers(t *testing.T) {
	t.Parallel()
	app := checkedInApp(t)
	c := &recorder{}
	_, err := functions.NewHandler(app, map[string]functions.Consumer{"ProjectOrders": c, "SnapshotOrders": c, "projectorders": c, "Archive": c}, functions.Options{})
	if err == nil {
		t.Fatal("accepted a function without a consumer")
	}
	for _, want := range []string{"function PublishIntegrationEvents has no consumer", "function CopyOrdersToPostgres has no consumer", "consumer Archive has no function folder",
		"consumer projectorders has no function folder"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestHandlerServesConcurrentInvocations(t *testing.T) {
	t.Parallel()
	h, recs := newHandler(t, functions.Options{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if w := serve(h, hostPost("ProjectOrders", readFile(t, "protocol/testdata/host-request.json"))); w.Code != http.StatusOK {
				t.Errorf("status %d", w.Code)
			}
		})
	}
	wg.Wait()
	if n := len(recs["ProjectOrders"].Calls()); n != 16 {
		t.Errorf("%d calls, want 16", n)
	}
}
