package cosmosemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/jsondepth"
)

// nested is v inside n-1 arrays, so that it nests n levels when v is an
// array or object of its own: nested(2, "[]") is "[[]]".
func nested(n int, v string) string {
	return strings.Repeat("[", n-1) + v + strings.Repeat("]", n-1)
}

// itemNesting is an item whose "deep" member holds arrays nesting the whole
// item n levels deep (the item object itself is level 1).
func itemNesting(id string, n int) string {
	return `{"id":"` + id + `","pk":"p","deep":` + nested(n-1, "[]") + `}`
}

// deepServer is a server with container dbs/db/colls/c partitioned on /pk,
// holding item "a" in partition "p".
func deepServer(t *testing.T) *cosmosemu.Server {
	t.Helper()
	srv, client := newServer(t, cosmosemu.Config{})
	newContainer(t, client, "c")
	if got := rawDo(t, srv, "POST", "dbs/db/colls/c/docs", pkHeader(), []byte(`{"id":"a","pk":"p"}`)); got != 201 {
		t.Fatalf("create item a: %d", got)
	}
	return srv
}

func pkHeader() map[string]string { return map[string]string{"x-ms-documentdb-partitionkey": `["p"]`} }

// deepRequest is one request of the nesting tests.
type deepRequest struct {
	method, path string
	headers      map[string]string
	body         string
}

func createItem(body string) deepRequest {
	return deepRequest{"POST", "dbs/db/colls/c/docs", pkHeader(), body}
}

func batchOf(body string) deepRequest {
	h := pkHeader()
	h["x-ms-cosmos-is-batch-request"] = "True"
	h["x-ms-cosmos-batch-atomic"] = "True"
	return deepRequest{"POST", "dbs/db/colls/c/docs", h, `[{"operationType":"Create","resourceBody":` + body + `}]`}
}

func batchPatch(value string) deepRequest {
	r := batchOf(`{"operations":[{"op":"set","path":"/deep","value":` + value + `}]}`)
	r.body = strings.Replace(r.body, `"operationType":"Create"`, `"operationType":"Patch","id":"a"`, 1)
	return r
}

func patchWith(value string) deepRequest {
	return deepRequest{"PATCH", "dbs/db/colls/c/docs/a", pkHeader(), `{"operations":[{"op":"set","path":"/deep","value":` + value + `}]}`}
}

func queryOf(text, param string) deepRequest {
	h := pkHeader()
	h["x-ms-documentdb-query"] = "True"
	h["Content-Type"] = "application/query+json"
	spec, _ := json.Marshal(text)
	body := `{"query":` + string(spec) + `,"parameters":[{"name":"@p","value":` + param + `}]}`
	return deepRequest{"POST", "dbs/db/colls/c/docs", h, body}
}

func (r deepRequest) send(t *testing.T, srv *cosmosemu.Server) (int, string) {
	t.Helper()
	resp := rawResp(t, srv, r.method, r.path, r.headers, []byte(r.body))
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestNestingLimit holds every way JSON enters the server to Cosmos DB's
// documented limit of 128 levels of nested objects and arrays.
func TestNestingLimit(t *testing.T) {
	t.Parallel()
	srv := deepServer(t)
	max := jsondepth.Max
	tests := []struct {
		name   string
		req    deepRequest
		status int
		says   string // in the answer
	}{
		{"item at the limit", createItem(itemNesting("at", max)), 201, `"id":"at"`},
		{"item one level deeper", createItem(itemNesting("over", max+1)), 400, "128"},
		{"2 MB item of 1,000,000 nested arrays", createItem(`{"id":"big","pk":"p","deep":` + nested(1_000_000, "[]") + `}`), 400, "128"},
		{"unclosed nesting", createItem(`{"id":"open","pk":"p","deep":` + strings.Repeat("[", 1_000_000)), 400, "128"},
		{"batch item at the limit", batchOf(itemNesting("batch-at", max)), 200, `"statusCode":201`},
		{"batch item one level deeper", batchOf(itemNesting("batch-over", max+1)), 207, `"statusCode":400`},
		// The batch decoder stops at its own limit of 10,000 levels.
		{"batch item of 1,000,000 nested arrays", batchOf(`{"id":"batch-big","pk":"p","deep":` + nested(999_900, "[]") + `}`), 400, "BadRequest"},
		{"batch patch that takes the item past the limit", batchPatch(nested(max, "[]")), 207, `"statusCode":400`},
		{"batch patch value past the limit itself", batchPatch(nested(max+1, "[]")), 207, `"statusCode":400`},
		{"patch value that keeps the item at the limit", patchWith(nested(max-1, "[]")), 200, `"deep":[[`},
		{"patch value that takes the item past the limit", patchWith(nested(max, "[]")), 400, "128"},
		{"patch value past the limit itself", patchWith(nested(max+1, "[]")), 400, "128"},
		{"patch value of 1,000,000 nested arrays", patchWith(nested(1_000_000, "[]")), 400, "128"},
		{"query parameter at the limit", queryOf("SELECT VALUE @p FROM c", nested(max, "[]")), 200, `"Documents":[[`},
		{"query parameter one level deeper", queryOf("SELECT VALUE @p FROM c", nested(max+1, "[]")), 400, "128"},
		{"query parameter of 100,000 nested arrays", queryOf("SELECT VALUE @p FROM c", nested(100_000, "[]")), 400, "128"},
		{"query text of 250,000 parentheses", queryOf("SELECT VALUE "+strings.Repeat("(", 250_000)+"1", "1"), 400, "nested too deeply"},
		{"query text of nested arrays", queryOf("SELECT VALUE "+nested(100_000, "[]"), "1"), 400, "nested too deeply"},
		{"query text of NOTs", queryOf("SELECT VALUE "+strings.Repeat("NOT ", 60_000)+"true", "1"), 400, "nested too deeply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := tc.req.send(t, srv)
			if status != tc.status || !strings.Contains(body, tc.says) {
				if len(body) > 300 {
					body = body[:300] + "…"
				}
				t.Fatalf("status %d %s, want %d saying %q", status, body, tc.status, tc.says)
			}
		})
	}
}

// TestDeepInputsCostLittleMemory is not parallel: it reads the process's
// allocation counter, which other tests would disturb. Reading a body costs
// a few times its size (growing buffers); nesting must add nothing to that.
func TestDeepInputsCostLittleMemory(t *testing.T) {
	srv := deepServer(t)
	inputs := map[string]deepRequest{
		"2 MB item of 1,000,000 nested arrays":  createItem(`{"id":"big","pk":"p","deep":` + nested(1_000_000, "[]") + `}`),
		"2 MB batch of 1,000,000 nested arrays": batchOf(`{"id":"big","pk":"p","deep":` + nested(999_900, "[]") + `}`),
		"2 MB patch of 1,000,000 nested arrays": patchWith(nested(1_000_000, "[]")),
		"query parameter of 100,000 arrays":     queryOf("SELECT VALUE @p FROM c", nested(100_000, "[]")),
		"query text of 250,000 parentheses":     queryOf("SELECT VALUE "+strings.Repeat("(", 250_000)+"1", "1"),
	}
	for name, req := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		status, _ := req.send(t, srv)
		runtime.ReadMemStats(&after)
		used := after.TotalAlloc - before.TotalAlloc
		if status >= 200 && status < 300 && status != 207 {
			t.Errorf("%s: status %d", name, status)
		}
		if limit := uint64(8*len(req.body)) + 4<<20; used > limit {
			t.Errorf("%s (%d bytes): allocated %d bytes, want at most %d", name, len(req.body), used, limit)
		}
		t.Logf("%s (%d bytes): allocated %d bytes", name, len(req.body), used)
	}
}

func TestDeepItemsStayOutOfTheStore(t *testing.T) {
	t.Parallel()
	srv := deepServer(t)
	if status, _ := createItem(itemNesting("over", jsondepth.Max+1)).send(t, srv); status != http.StatusBadRequest {
		t.Fatalf("create: %d", status)
	}
	if got := rawDo(t, srv, "GET", "dbs/db/colls/c/docs/over", pkHeader(), nil); got != http.StatusNotFound {
		t.Fatalf("read of the refused item: %d", got)
	}
	replace := deepRequest{"PUT", "dbs/db/colls/c/docs/a", pkHeader(), `{"id":"a","pk":"p","deep":` + nested(jsondepth.Max+1, "[]") + `}`}
	if status, body := replace.send(t, srv); status != http.StatusBadRequest || !strings.Contains(body, "128") {
		t.Fatalf("deep replace: %d %s", status, body)
	}
	resp := rawResp(t, srv, "GET", "dbs/db/colls/c/docs/a", pkHeader(), nil)
	var a map[string]any
	if err := jsonDecode(resp.Body, &a); err != nil || resp.StatusCode != http.StatusOK || a["deep"] != nil {
		t.Fatalf("item a after the refused replace: %d %v %v", resp.StatusCode, a, err)
	}
}
