package commandapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/eventstore/memory"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log records written so far.
func (b *syncBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is an API over an in-memory store.
type fixture struct {
	api   *commandapi.API
	store *memory.Store
	logs  *syncBuffer
}

func newFixture(t testing.TB, opts commandapi.Options) *fixture {
	t.Helper()
	reg := orderRegistry(t)
	store := memory.New(reg)
	svc := orderapp.NewService(store, reg, es.NewFixedClock(t0), nil)
	return newFixtureWith(t, store, svc, opts)
}

func newFixtureWith(t testing.TB, store *memory.Store, s commandapi.Store, opts commandapi.Options) *fixture {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Clock == nil {
		opts.Clock = es.NewFixedClock(t0)
	}
	return &fixture{api: commandapi.New(s, log, opts), store: store, logs: logs}
}

// request is one HTTP request of a test; JSON content type unless set.
type request struct {
	method  string
	path    string
	body    string
	headers map[string]string
}

func (f *fixture) do(t testing.TB, r request) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.api.Handler().ServeHTTP(rec, req)
	return rec
}

// mustDo runs a request that must answer want.
func (f *fixture) mustDo(t testing.TB, want int, r request) commandapi.CommandResponse {
	t.Helper()
	rec := f.do(t, r)
	if rec.Code != want {
		t.Fatalf("%s %s = %d %s, want %d", r.method, r.path, rec.Code, rec.Body, want)
	}
	var out commandapi.CommandResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: response %q: %v", r.method, r.path, rec.Body, err)
	}
	return out
}

// problemOf decodes a problem response, checking its media type and status.
func problemOf(t testing.TB, rec *httptest.ResponseRecorder) commandapi.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != commandapi.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %s (body %s)", ct, commandapi.ProblemContentType, rec.Body)
	}
	var p commandapi.Problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem %q: %v", rec.Body, err)
	}
	if p.Status != rec.Code || p.Type == "" || p.Title == "" {
		t.Fatalf("problem %+v does not match status %d", p, rec.Code)
	}
	return p
}

// hasError reports whether a problem lists field with rule.
func hasError(p commandapi.Problem, field, rule string) bool {
	for _, e := range p.Errors {
		if e.Field == field && e.Rule == rule && e.Message != "" {
			return true
		}
	}
	return false
}

const placeBody = `{"orderId":"o-1","buyerId":"b-1","currency":"EUR",
	"shippingAddress":{"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE"},
	"items":[{"productId":"p-1","name":"Coffee","quantity":2,"unitPrice":450,"discount":100}]}`

const placeBodyNoID = `{"buyerId":"b-1","currency":"EUR",
	"shippingAddress":{"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE"}}`

func place(t testing.TB, f *fixture) {
	t.Helper()
	f.mustDo(t, http.StatusCreated, request{method: http.MethodPost, path: "/orders", body: placeBody})
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

var testAddress = order.Address{Street: "Hauptstraße 1", City: "Berlin", PostalCode: "10115", Country: "DE"}

func eur(n int64) order.Money { return order.Money{Amount: n, Currency: "EUR"} }

// orderRegistry returns a registry with the order events.
func orderRegistry(t testing.TB) *es.Registry {
	t.Helper()
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func ptr[T any](v T) *T { return &v }
