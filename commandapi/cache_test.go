package commandapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"testing"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/cosmosemu"
	"orderctx/infra/eventstore"
)

// realInstance is a command API wired as `orderctx commandapi` wires it
// (NewOnConn: event store, state cache, /debug/stats) on a shared connection.
func realInstance(t *testing.T, conn *cosmosdb.Conn, opts ...orderapp.Option) *fixture {
	t.Helper()
	logs := &syncBuffer{}
	api, err := commandapi.NewOnConn(conn, slog.New(slog.NewJSONHandler(logs, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{api: api, logs: logs}
}

// lastLog returns the request log line of the last request.
func lastLog(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	var last map[string]any
	for _, l := range f.logs.lines(t) {
		if l["msg"] == "request" {
			last = l
		}
	}
	return last
}

// TestCachedCommandIsOneStoreRequest counts the requests the embedded store
// serves (a fault rule that only counts matches every request on items): a
// command on a cached order is exactly one request, the transactional batch,
// and the answer and the request log say so with the charge.
func TestCachedCommandIsOneStoreRequest(t *testing.T) {
	t.Parallel()
	conn := cosmosdbtest.Embedded(t, 0)
	served := conn.Embedded().Faults()
	served.Add(cosmosemu.Fault{PathContains: "/docs"})
	f := realInstance(t, conn)
	steps := []struct {
		name, path, body string
		want             int
	}{
		{"place", "/orders", placeBody, http.StatusCreated},
		{"add-item", "/orders/o-1/items", `{"productId":"p-2","name":"Tea","quantity":1,"unitPrice":300}`, http.StatusOK},
		{"pay", "/orders/o-1/pay", `{"paymentReference":"psp-1","amount":1100}`, http.StatusOK},
		{"ship", "/orders/o-1/ship", `{"carrier":"DHL","trackingNumber":"t-1"}`, http.StatusOK},
	}
	for _, st := range steps {
		before := served.Fired()
		rec := f.do(t, request{method: http.MethodPost, path: st.path, body: st.body, headers: map[string]string{"Idempotency-Key": st.name}})
		if rec.Code != st.want {
			t.Fatalf("%s = %d %s", st.name, rec.Code, rec.Body)
		}
		if n := served.Fired() - before; n != 1 {
			t.Fatalf("%s: the store served %d requests, want 1", st.name, n)
		}
		charge, err := strconv.ParseFloat(rec.Header().Get(commandapi.HeaderRequestCharge), 64)
		if err != nil || charge <= 0 {
			t.Fatalf("%s: %s %q", st.name, commandapi.HeaderRequestCharge, rec.Header().Get(commandapi.HeaderRequestCharge))
		}
		if l := lastLog(t, f); l["storeRequests"] != float64(1) || l["ru"] != charge {
			t.Fatalf("%s: log %v, want storeRequests 1 and ru %v", st.name, l, charge)
		}
	}
	// A retried key is answered from the cache without a request.
	before := served.Fired()
	rec := f.do(t, request{method: http.MethodPost, path: "/orders/o-1/pay", body: steps[2].body, headers: map[string]string{"Idempotency-Key": "pay"}})
	if rec.Code != http.StatusOK || rec.Header().Get(commandapi.HeaderIdempotentReplayed) != "true" || served.Fired() != before {
		t.Fatalf("retried pay = %d (replayed %q), %d requests", rec.Code, rec.Header().Get(commandapi.HeaderIdempotentReplayed), served.Fired()-before)
	}

	var stats commandapi.StatsDocument
	rec = f.do(t, request{method: http.MethodGet, path: "/debug/stats"})
	if err := json.Unmarshal(rec.Body.Bytes(), &stats); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("stats = %d %s", rec.Code, rec.Body)
	}
	if stats.Commands != 5 || stats.StoreRequests != 4 || stats.RequestsPerCommand != 0.8 || stats.RequestCharge <= 0 ||
		stats.Cache == nil || stats.Cache.Hits != 4 || stats.Cache.Misses != 1 || stats.Cache.HitRate != 0.8 || stats.Cache.Entries != 1 || stats.Cache.Bytes <= 0 {
		t.Fatalf("stats %+v cache %+v", stats, stats.Cache)
	}
}

// TestOutOfBandAppendIsCaught: another writer appends to a cached order
// directly in the store; the next command, decided on the cached version,
// is refused by the store with a 409, reloaded and decided again: the
// refused batch, the load (snapshot read and query) and the append.
func TestOutOfBandAppendIsCaught(t *testing.T) {
	t.Parallel()
	conn := cosmosdbtest.Embedded(t, 0)
	served := conn.Embedded().Faults()
	served.Add(cosmosemu.Fault{PathContains: "/docs"})
	f := realInstance(t, conn)
	f.mustDo(t, http.StatusCreated, request{method: http.MethodPost, path: "/orders", body: placeBody})
	reg, err := order.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	envs, err := reg.Stamp(order.StreamID("o-1"), 1, []es.Payload{order.ItemAdded{OrderID: "o-1", ProductID: "p-9", Name: "Mug", Quantity: 1, UnitPrice: order.Money{Amount: 500, Currency: "EUR"}, Discount: order.Money{Currency: "EUR"}}},
		es.Causation{CommandID: "elsewhere"}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.New(conn, reg).Append(context.Background(), order.StreamID("o-1"), 1, envs); err != nil {
		t.Fatal(err)
	}
	before := served.Fired()
	res := f.mustDo(t, http.StatusOK, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-2","name":"Tea","quantity":1,"unitPrice":300}`})
	if res.Version != 3 || served.Fired()-before != 4 {
		t.Fatalf("add after an out-of-band append = %+v after %d requests, want version 3 after 4", res, served.Fired()-before)
	}
	if l := lastLog(t, f); l["storeRequests"] != float64(4) {
		t.Fatalf("log %v, want storeRequests 4", l)
	}
	// 800 for the placed line, 500 for the mug, 300 for the tea: the
	// entry now holds the reloaded order, and the payment is one request.
	before = served.Fired()
	if res := f.mustDo(t, http.StatusOK, request{method: http.MethodPost, path: "/orders/o-1/pay", body: `{"paymentReference":"r","amount":1600}`}); res.Version != 4 || served.Fired()-before != 1 {
		t.Fatalf("pay = %+v after %d requests", res, served.Fired()-before)
	}
	var stats commandapi.StatsDocument
	if err := json.Unmarshal(f.do(t, request{method: http.MethodGet, path: "/debug/stats"}).Body.Bytes(), &stats); err != nil || stats.Cache == nil || stats.Cache.Stale != 1 {
		t.Fatalf("stats %+v, %v: want one stale entry", stats.Cache, err)
	}
}

// TestTwoInstancesAlternate sends the commands of one order to two command
// API instances on one store in turn, so each decides on a cache that the
// other has made stale, with and without If-Match and with retried keys.
// Every answer must be the one a single instance without a cache gives.
func TestTwoInstancesAlternate(t *testing.T) {
	t.Parallel()
	for _, cached := range []bool{true, false} {
		t.Run("cached="+strconv.FormatBool(cached), func(t *testing.T) {
			t.Parallel()
			conn := cosmosdbtest.Embedded(t, 0)
			var opts []orderapp.Option
			if !cached {
				opts = append(opts, orderapp.WithCache(nil))
			}
			a, b := realInstance(t, conn, opts...), realInstance(t, conn, opts...)
			key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
			steps := []struct {
				name    string
				f       *fixture
				r       request
				status  int
				version int64
				rule    string
				replay  bool
			}{
				{"a places", a, request{method: http.MethodPost, path: "/orders", body: placeBody, headers: key("k1")}, 201, 1, "", false},
				{"b adds", b, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-2","name":"Tea","quantity":1,"unitPrice":300}`, headers: key("k2")}, 200, 2, "", false},
				{"a pins the version it last saw", a, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-3","name":"Jam","quantity":1,"unitPrice":200}`, headers: map[string]string{"If-Match": `"1"`, "Idempotency-Key": "k3"}}, 412, 0, es.RuleStaleVersion, false},
				{"a adds unpinned", a, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-3","name":"Jam","quantity":1,"unitPrice":200}`, headers: key("k4")}, 200, 3, "", false},
				{"b gets a's retry", b, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-3","name":"Jam","quantity":1,"unitPrice":200}`, headers: key("k4")}, 200, 3, "", true},
				{"b gets its key reused", b, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-9","name":"X","quantity":1,"unitPrice":1}`, headers: key("k2")}, 422, 0, es.RuleCommandReused, false},
				{"a pays the wrong amount", a, request{method: http.MethodPost, path: "/orders/o-1/pay", body: `{"paymentReference":"r","amount":800}`, headers: key("k5")}, 422, 0, order.RuleAmountMismatch, false},
				{"b pays, pinned to the current version", b, request{method: http.MethodPost, path: "/orders/o-1/pay", body: `{"paymentReference":"r","amount":1300}`, headers: map[string]string{"If-Match": `"3"`, "Idempotency-Key": "k6"}}, 200, 4, "", false},
				{"a places again", a, request{method: http.MethodPost, path: "/orders", body: placeBody, headers: key("k7")}, 409, 0, order.RuleAlreadyPlaced, false},
				{"a adds to the paid order", a, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-4","name":"Tea","quantity":1,"unitPrice":300}`, headers: key("k8")}, 422, 0, order.RuleAlreadyPaid, false},
				{"a gets b's payment again", a, request{method: http.MethodPost, path: "/orders/o-1/pay", body: `{"paymentReference":"r","amount":1300}`, headers: map[string]string{"If-Match": `"3"`, "Idempotency-Key": "k6"}}, 200, 4, "", true},
				{"a ships", a, request{method: http.MethodPost, path: "/orders/o-1/ship", body: `{"carrier":"DHL","trackingNumber":"t"}`, headers: key("k9")}, 200, 5, "", false},
				{"b cancels the shipped order", b, request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"late"}`, headers: key("k10")}, 422, 0, order.RuleAlreadyShipped, false},
			}
			for _, st := range steps {
				rec := st.f.do(t, st.r)
				if rec.Code != st.status {
					t.Fatalf("%s = %d %s, want %d", st.name, rec.Code, rec.Body, st.status)
				}
				if st.rule != "" {
					var p commandapi.Problem
					if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Rule != st.rule {
						t.Fatalf("%s: problem %s, want rule %s", st.name, rec.Body, st.rule)
					}
					continue
				}
				var res commandapi.CommandResponse
				if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.Version != st.version {
					t.Fatalf("%s: %s, want version %d", st.name, rec.Body, st.version)
				}
				if got := rec.Header().Get(commandapi.HeaderIdempotentReplayed) == "true"; got != st.replay {
					t.Fatalf("%s: replayed %v, want %v", st.name, got, st.replay)
				}
			}
			reg, err := order.NewRegistry()
			if err != nil {
				t.Fatal(err)
			}
			stream, err := eventstore.New(conn, reg).Load(context.Background(), order.StreamID("o-1"))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"k1", "k2", "k4", "k6", "k9"}
			if len(stream.Events) != len(want) {
				t.Fatalf("%d events stored, want %d", len(stream.Events), len(want))
			}
			for i, e := range stream.Events {
				if e.CommandID != want[i] || e.Version != int64(i+1) {
					t.Fatalf("event %d: command %s version %d, want %s", i, e.CommandID, e.Version, want[i])
				}
			}
		})
	}
}

// TestMainCacheFlags: the state cache is on by default, bounded by flags,
// and off with -cache=false; bad bounds are refused.
func TestMainCacheFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		noCache bool
		entries int
		bytes   int64
		bad     bool
	}{
		{args: nil, entries: orderapp.DefaultCacheEntries, bytes: orderapp.DefaultCacheBytes},
		{args: []string{"-cache-entries", "10", "-cache-bytes", "4096"}, entries: 10, bytes: 4096},
		{args: []string{"-cache=false"}, noCache: true, entries: orderapp.DefaultCacheEntries, bytes: orderapp.DefaultCacheBytes},
		{args: []string{"-cache-entries", "-1"}, bad: true},
	}
	for _, tc := range tests {
		m := commandapi.NewMain()
		err := m.ParseFlags(tc.args)
		if tc.bad {
			if err == nil {
				t.Errorf("%v: no error", tc.args)
			}
			continue
		}
		if err != nil || m.NoCache != tc.noCache || m.Cache.MaxEntries != tc.entries || m.Cache.MaxBytes != tc.bytes {
			t.Errorf("%v: %v, NoCache %v, cache %+v", tc.args, err, m.NoCache, m.Cache)
		}
	}
}
