package commandapi_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"orderctx/commandapi"
	"orderctx/domain/order"
)

// deepArrays is n nested empty arrays: "[[[…]]]", 2n bytes.
func deepArrays(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// bodyRoutes are the routes that read a JSON body.
var bodyRoutes = []string{"/orders", "/orders/o-1/items", "/orders/o-1/pay", "/orders/o-1/ship", "/orders/o-1/cancel"}

func TestDeepBodiesAreRefusedByTheDepthLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	bodies := map[string]string{
		"30,000 nested arrays":          deepArrays(30_000),
		"one level too deep":            deepArrays(commandapi.MaxBodyDepth + 1),
		"too deep inside a member":      `{"reason":` + deepArrays(commandapi.MaxBodyDepth) + `}`,
		"nested objects":                strings.Repeat(`{"a":`, commandapi.MaxBodyDepth+1) + "1" + strings.Repeat("}", commandapi.MaxBodyDepth+1),
		"unclosed nesting past the end": strings.Repeat("[", 50_000),
	}
	for name, body := range bodies {
		for _, path := range bodyRoutes {
			t.Run(name+" "+path, func(t *testing.T) {
				t.Parallel()
				rec := f.do(t, request{method: http.MethodPost, path: path, body: body})
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d %s", rec.Code, rec.Body)
				}
				p := problemOf(t, rec)
				if p.Rule != commandapi.RuleTooDeep || !strings.Contains(p.Detail, "32") {
					t.Fatalf("problem %+v, want rule %s naming the limit", p, commandapi.RuleTooDeep)
				}
			})
		}
	}
}

func TestBodiesAtTheDepthLimitAreWalked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	// The member sits at depth 1, so its value may nest MaxBodyDepth-1 more
	// levels: the walk goes on and reports the member itself.
	body := `{"reason":"r","extra":` + deepArrays(commandapi.MaxBodyDepth-1) + `}`
	rec := f.do(t, request{method: http.MethodPost, path: "/orders/o-1/cancel", body: body})
	if p := problemOf(t, rec); rec.Code != 400 || !hasError(p, "extra", commandapi.RuleUnknownField) || len(p.Errors) != 1 {
		t.Fatalf("status %d, problem %+v", rec.Code, p)
	}
}

// TestDeepBodyCostsLittleMemory is not parallel: it reads the process's
// allocation counter, which other tests would disturb.
func TestDeepBodyCostsLittleMemory(t *testing.T) {
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	body := deepArrays(30_000)
	const runs = 5
	const limit = 8 << 20 // bytes per request; the body alone is 60 KB
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		if rec := f.do(t, request{method: http.MethodPost, path: "/orders/o-1/cancel", body: body}); rec.Code != 400 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	runtime.ReadMemStats(&after)
	perRequest := (after.TotalAlloc - before.TotalAlloc) / runs
	if perRequest > limit {
		t.Fatalf("a 30,000-deep body allocates %d bytes per request, want at most %d", perRequest, limit)
	}
	t.Logf("a 30,000-deep body allocates %d bytes per request", perRequest)
}

func TestWideBodiesWithLongPathsStayLinear(t *testing.T) {
	// Not parallel: it reads the allocation counter too. A long member name
	// repeated at every level and a flood of duplicate members would make
	// eagerly built paths quadratic.
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	key := strings.Repeat("k", 1000)
	var b strings.Builder
	depth := commandapi.MaxBodyDepth - 1
	for range depth {
		b.WriteString(`{"` + key + `":`)
	}
	b.WriteString(`{`)
	for i := range 4000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"a":1`)
	}
	b.WriteString(`}` + strings.Repeat("}", depth))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec := f.do(t, request{method: http.MethodPost, path: "/orders/o-1/cancel", body: b.String()})
	runtime.ReadMemStats(&after)
	p := problemOf(t, rec)
	// The 1,000-byte name is reported by its last 256 bytes.
	if rec.Code != 400 || !hasError(p, "…"+key[:256], commandapi.RuleUnknownField) {
		t.Fatalf("status %d, problem %+v", rec.Code, p.Rule)
	}
	used := after.TotalAlloc - before.TotalAlloc
	if used > 8<<20 {
		t.Fatalf("a %d-byte body allocates %d bytes", b.Len(), used)
	}
	t.Logf("a %d-byte body of long paths and repeated members allocates %d bytes", b.Len(), used)
}

func TestOrderIDsOfDotsAreRefusedEverywhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	for _, id := range []string{".", "..", "...", "%2e%2e", "%2E."} {
		routes := []request{
			{method: http.MethodPost, path: "/orders/" + id + "/items", body: `{"productId":"p-2","name":"n","quantity":1,"unitPrice":1}`},
			{method: http.MethodDelete, path: "/orders/" + id + "/items/p-1"},
			{method: http.MethodPost, path: "/orders/" + id + "/pay", body: `{"paymentReference":"r","amount":800}`},
			{method: http.MethodPost, path: "/orders/" + id + "/ship", body: `{"carrier":"c","trackingNumber":"t"}`},
			{method: http.MethodPost, path: "/orders/" + id + "/cancel", body: `{"reason":"r"}`},
		}
		for _, r := range routes {
			t.Run(r.method+" "+r.path, func(t *testing.T) {
				t.Parallel()
				rec := f.do(t, r)
				if p := problemOf(t, rec); rec.Code != 400 || !hasError(p, "orderId", order.RuleFormat) {
					t.Fatalf("status %d, problem %+v", rec.Code, p)
				}
			})
		}
	}
	for _, id := range []string{".", "..", "..."} {
		t.Run("body "+id, func(t *testing.T) {
			t.Parallel()
			rec := f.do(t, request{method: http.MethodPost, path: "/orders", body: strings.Replace(placeBody, `"o-1"`, `"`+id+`"`, 1)})
			if p := problemOf(t, rec); rec.Code != 400 || !hasError(p, "orderId", order.RuleFormat) {
				t.Fatalf("status %d, problem %+v", rec.Code, p)
			}
		})
	}
	t.Run("product id of dots", func(t *testing.T) {
		t.Parallel()
		rec := f.do(t, request{method: http.MethodDelete, path: "/orders/o-1/items/.."})
		if p := problemOf(t, rec); rec.Code != 400 || !hasError(p, "productId", order.RuleFormat) {
			t.Fatalf("status %d, problem %+v", rec.Code, p)
		}
	})
}

func TestEmptyOrderIDIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	rec := f.do(t, request{method: http.MethodPost, path: "/orders", body: strings.Replace(placeBody, `"o-1"`, `""`, 1)})
	if p := problemOf(t, rec); rec.Code != 400 || !hasError(p, "orderId", order.RuleFormat) || len(p.Errors) != 1 {
		t.Fatalf("status %d, problem %+v", rec.Code, p)
	}
	// null still means "assign one".
	res := f.mustDo(t, http.StatusCreated, request{method: http.MethodPost, path: "/orders", body: strings.Replace(placeBody, `"o-1"`, `null`, 1)})
	if len(res.OrderID) != 36 {
		t.Fatalf("assigned id %q", res.OrderID)
	}
}

func TestTwoContentTypesAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	for _, second := range []string{"application/json", "text/plain"} {
		req := httptest.NewRequest(http.MethodPost, "/orders/o-1/cancel", strings.NewReader(`{"reason":"r"}`))
		req.Header["Content-Type"] = []string{"application/json", second}
		rec := httptest.NewRecorder()
		f.api.Handler().ServeHTTP(rec, req)
		if p := problemOf(t, rec); rec.Code != 400 || !hasError(p, "Content-Type", commandapi.RuleHeader) {
			t.Fatalf("second Content-Type %s: status %d, problem %+v", second, rec.Code, p)
		}
	}
	if n := len(f.store.Events(order.StreamID("o-1"))); n != 1 {
		t.Fatalf("the stream has %d events, want the placing one only", n)
	}
}
