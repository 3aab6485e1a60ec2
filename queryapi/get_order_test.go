package queryapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/queryapi"
)

func TestGetOrderServesTheStoredView(t *testing.T) {
	t.Parallel()
	s := spec("o-1", "paid", "b-1", 1250, 0, 4)
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, s)
	r := get(t, f.url+"/orders/o-1")
	if r.status != http.StatusOK || string(r.body) != s.Served() {
		t.Fatalf("status %d body %s\nwant %s", r.status, r.body, s.Served())
	}
	if r.header.Get("ETag") != `"4"` || r.header.Get("Content-Type") != "application/json" || r.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("headers %v", r.header)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("no request id")
	}
}

func TestGetOrderConditional(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, spec("o-1", "paid", "b-1", 1250, 0, 4))
	for name, tc := range map[string]struct {
		header string
		status int
	}{
		"same version":       {`"4"`, http.StatusNotModified},
		"weak same version":  {`W/"4"`, http.StatusNotModified},
		"in a list":          {`"2", "4"`, http.StatusNotModified},
		"any":                {`*`, http.StatusNotModified},
		"older version":      {`"3"`, http.StatusOK},
		"unquoted":           {`4`, http.StatusBadRequest},
		"empty":              {``, http.StatusBadRequest},
		"quote inside a tag": {`"4"x"`, http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			r := get(t, f.url+"/orders/o-1", "If-None-Match", tc.header)
			switch tc.status {
			case http.StatusBadRequest:
				wantProblem(t, r, tc.status, queryapi.RuleHeader, "If-None-Match")
			case http.StatusNotModified:
				if r.status != tc.status || len(r.body) != 0 || r.header.Get("ETag") != `"4"` {
					t.Fatalf("status %d, ETag %q, body %q", r.status, r.header.Get("ETag"), r.body)
				}
			default:
				if r.status != tc.status {
					t.Fatalf("status %d", r.status)
				}
			}
		})
	}
}

func TestGetOrderRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, spec("o-1", "paid", "b-1", 1250, 0, 4))
	for name, tc := range map[string]struct {
		path   string
		status int
		rule   string
		field  string
	}{
		"unknown order":         {"/orders/o-2", 404, "order.not_found", ""},
		"id with a space":       {"/orders/o%201", 400, queryapi.RulePath, "orderId"},
		"id too long":           {"/orders/" + strings.Repeat("x", 129), 400, queryapi.RulePath, "orderId"},
		"minVersion zero":       {"/orders/o-1?minVersion=0", 400, queryapi.RuleInvalidParameter, "minVersion"},
		"minVersion text":       {"/orders/o-1?minVersion=new", 400, queryapi.RuleInvalidParameter, "minVersion"},
		"wait too long":         {"/orders/o-1?minVersion=1&wait=11s", 400, queryapi.RuleInvalidParameter, "wait"},
		"wait negative":         {"/orders/o-1?minVersion=1&wait=-1s", 400, queryapi.RuleInvalidParameter, "wait"},
		"wait without version":  {"/orders/o-1?wait=1s", 400, queryapi.RuleInvalidParameter, "wait"},
		"predict not a boolean": {"/orders/o-1?predict=maybe", 400, queryapi.RuleInvalidParameter, "predict"},
		"unknown parameter":     {"/orders/o-1?version=4", 400, queryapi.RuleUnknownParameter, "version"},
		"parameter twice":       {"/orders/o-1?minVersion=1&minVersion=2", 400, queryapi.RuleDuplicateParameter, "minVersion"},
		"bad escape":            {"/orders/o-1?minVersion=%zz", 400, queryapi.RuleInvalidParameter, ""},
		"query too long":        {"/orders/o-1?minVersion=1&x=" + strings.Repeat("a", 2100), 414, queryapi.RuleQueryTooLong, ""},
		"prediction off":        {"/orders/o-1?predict=true", 501, queryapi.RulePredictionUnavailable, "predict"},
		"unknown route":         {"/nothing", 404, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, get(t, f.url+tc.path), tc.status, tc.rule, tc.field)
		})
	}
	// Every invalid parameter is named at once.
	p := wantProblem(t, get(t, f.url+"/orders/o-1?minVersion=x&wait=y&z=1"), 400, "", "")
	if len(p.Errors) != 3 {
		t.Fatalf("%d errors, want 3: %+v", len(p.Errors), p.Errors)
	}
}

func TestMinVersionWaitsForTheView(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, spec("o-1", "submitted", "b-1", 100, 0, 1))
	got := make(chan response, 1)
	go func() { got <- get(t, f.url+"/orders/o-1?minVersion=3&wait=5s") }()
	// The request is waiting when the views arrive: version 2 does not
	// answer it, version 3 does.
	waitFor(t, "a waiting request", func() bool { return readiness(t, f.url).WaitingOrders == 1 })
	f.views.Push(spec("o-1", "submitted", "b-1", 200, 0, 2).Doc())
	f.views.Push(spec("o-1", "paid", "b-1", 200, 0, 3).Doc())
	r := <-got
	if r.status != 200 || r.header.Get("ETag") != `"3"` || !strings.Contains(string(r.body), `"status":"paid"`) {
		t.Fatalf("status %d ETag %s body %s", r.status, r.header.Get("ETag"), r.body)
	}
	// An order that appears while the request waits (a new order whose view
	// the projector has not written yet).
	go func() { got <- get(t, f.url+"/orders/o-new?minVersion=1") }()
	waitFor(t, "a waiting request", func() bool { return readiness(t, f.url).WaitingOrders == 1 })
	f.views.Push(spec("o-new", "submitted", "b-1", 100, 1, 1).Doc())
	if r := <-got; r.status != 200 {
		t.Fatalf("new order: status %d %s", r.status, r.body)
	}
}

func TestMinVersionTimesOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, spec("o-1", "submitted", "b-1", 100, 0, 2))
	start := time.Now()
	r := get(t, f.url+"/orders/o-1?minVersion=5&wait=150ms")
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("answered after %v, before the wait ended", waited)
	}
	p := wantProblem(t, r, 503, queryapi.RuleVersionNotReached, "minVersion")
	if p.Version == nil || *p.Version != 2 || p.MinVersion == nil || *p.MinVersion != 5 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("problem %+v, Retry-After %q", p, r.header.Get("Retry-After"))
	}
	p = wantProblem(t, get(t, f.url+"/orders/o-9?minVersion=1&wait=0s"), 503, queryapi.RuleVersionNotReached, "minVersion")
	if *p.Version != 0 {
		t.Fatalf("missing order reported at version %d", *p.Version)
	}
	// A version already reached answers at once, whatever the wait.
	if r := get(t, f.url+"/orders/o-1?minVersion=2&wait=10s"); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
}

// fakePredictor folds by setting "status" to the next status and
// "version" to the stream version it was given; it records its calls.
type fakePredictor struct {
	streamVersion int64
	err           error
}

func (p fakePredictor) Predict(ctx context.Context, id string, view json.RawMessage, viewVersion int64) (json.RawMessage, bool, error) {
	if p.err != nil {
		return nil, false, p.err
	}
	if p.streamVersion == 0 {
		return nil, false, nil
	}
	if viewVersion >= p.streamVersion {
		return view, false, nil
	}
	doc := map[string]any{"id": id, "status": "submitted"}
	if view != nil {
		_ = json.Unmarshal(view, &doc)
	}
	doc["status"], doc["version"] = "paid", p.streamVersion
	b, err := json.Marshal(doc)
	return b, true, err
}

func TestPredict(t *testing.T) {
	t.Parallel()
	stored := spec("o-1", "submitted", "b-1", 100, 0, 2)
	for name, tc := range map[string]struct {
		predictor  fakePredictor
		path       string
		status     int
		rule       string
		predicted  bool
		wantStatus string
	}{
		"newer events":            {fakePredictor{streamVersion: 3}, "/orders/o-1?predict=true", 200, "", true, "paid"},
		"nothing newer":           {fakePredictor{streamVersion: 2}, "/orders/o-1?predict=true", 200, "", false, "submitted"},
		"no view yet":             {fakePredictor{streamVersion: 1}, "/orders/o-2?predict=true", 200, "", true, "paid"},
		"no such order":           {fakePredictor{}, "/orders/o-2?predict=true", 404, "order.not_found", false, ""},
		"minVersion met":          {fakePredictor{streamVersion: 3}, "/orders/o-1?predict=true&minVersion=3", 200, "", true, "paid"},
		"minVersion beyond":       {fakePredictor{streamVersion: 3}, "/orders/o-1?predict=true&minVersion=4", 503, queryapi.RuleVersionNotReached, false, ""},
		"predict=false":           {fakePredictor{streamVersion: 3}, "/orders/o-1?predict=false", 200, "", false, "submitted"},
		"event store unreachable": {fakePredictor{err: es.Errorf(es.Unavailable, es.RuleStoreUnavailable, "down")}, "/orders/o-1?predict=true", 503, es.RuleStoreUnavailable, false, ""},
		"fold fails":              {fakePredictor{err: es.Errorf(es.Internal, "order.corrupt_history", "bad")}, "/orders/o-1?predict=true", 500, "", false, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, queryapi.Deps{Predictor: tc.predictor}, queryapi.Options{}, stored)
			r := get(t, f.url+tc.path)
			if tc.status != 200 {
				p := wantProblem(t, r, tc.status, tc.rule, "")
				if tc.status == 500 && strings.Contains(p.Detail, "bad") {
					t.Fatalf("internal error text shown: %s", r.body)
				}
				return
			}
			var doc map[string]any
			r.json(t, &doc)
			if r.status != 200 || doc["status"] != tc.wantStatus || (doc["predicted"] == true) != tc.predicted {
				t.Fatalf("status %d body %s", r.status, r.body)
			}
			if tc.predicted && (r.header.Get("ETag") != "" || r.header.Get("Cache-Control") != "no-store") {
				t.Fatalf("a prediction is cacheable: %v", r.header)
			}
			if !tc.predicted && r.header.Get("ETag") == "" {
				t.Fatal("a stored view without ETag")
			}
		})
	}
}

func TestNotReadyUntilCaughtUp(t *testing.T) {
	t.Parallel()
	views := &memFeed{hold: true, fail: 3}
	f := newFixture(t, queryapi.Deps{Views: views}, queryapi.Options{}, spec("o-1", "paid", "b-1", 1, 0, 1))
	wantProblem(t, get(t, f.url+"/readyz"), 503, queryapi.RuleLoading, "")
	for _, path := range []string{"/orders/o-1", "/orders", "/orders/stats", "/live"} {
		wantProblem(t, get(t, f.url+path), 503, queryapi.RuleLoading, "")
	}
	if r := get(t, f.url+"/healthz"); r.status != 200 {
		t.Fatalf("healthz %d while loading", r.status)
	}
	views.Release()
	waitReady(t, f.api)
	if r := get(t, f.url+"/readyz"); r.status != 200 || !strings.Contains(string(r.body), `"orders":1`) {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	if !strings.Contains(f.logs.String(), "reading the change feed failed") {
		t.Fatal("feed failures were not logged")
	}
}

func TestMemoryCapStopsServing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{MaxMemoryBytes: 2000}, spec("o-1", "paid", "b-1", 1, 0, 1))
	f.views.Push(spec("o-2", "paid", "b-1", 1, 0, 1).Doc(), spec("o-3", "paid", "b-1", 1, 0, 1).Doc())
	waitFor(t, "the cap", func() bool { return get(t, f.url+"/readyz").status == 503 })
	p := wantProblem(t, get(t, f.url+"/orders/o-1"), 503, queryapi.RuleMemoryCap, "")
	if !strings.Contains(p.Detail, "cap of 2000 bytes") || !strings.Contains(p.Detail, "-max-memory-mib") {
		t.Fatalf("detail %q", p.Detail)
	}
	if !strings.Contains(f.logs.String(), "stopped following the change feed") {
		t.Fatal("the stop was not logged")
	}
}

// panicPredictor stands for a bug below a handler.
type panicPredictor struct{}

func (panicPredictor) Predict(context.Context, string, json.RawMessage, int64) (json.RawMessage, bool, error) {
	panic("secret internal state")
}

func TestMethodsAndPanics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{Predictor: panicPredictor{}}, queryapi.Options{}, spec("o-1", "paid", "b-1", 1, 0, 1))
	req, _ := http.NewRequest(http.MethodDelete, f.url+"/orders/o-1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != queryapi.ProblemContentType {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := get(t, f.url+"/orders/o-1?predict=true")
	p := wantProblem(t, r, 500, "", "")
	if strings.Contains(string(r.body), "secret") || !strings.Contains(p.Detail, "request id") {
		t.Fatalf("500 body %s", r.body)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "handler panicked") || !strings.Contains(logs, "secret internal state") || !strings.Contains(logs, p.RequestID) {
		t.Fatalf("the panic was not logged with the request id:\n%s", logs)
	}
	// The server goes on serving.
	if r := get(t, f.url+"/orders/o-1"); r.status != 200 {
		t.Fatalf("after the panic: %d", r.status)
	}
}
