package queryapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"orderctx/queryapi"
	"orderctx/queryapi/internal/viewtest"
)

// listPage is the body of GET /orders.
type listPage struct {
	Items []map[string]any `json:"items"`
	Next  *string          `json:"next"`
}

func (p listPage) ids() []string {
	out := make([]string, len(p.Items))
	for i, it := range p.Items {
		out[i] = it["id"].(string)
	}
	return out
}

// listAll follows next cursors from a first query, returning every id.
func listAll(t *testing.T, base, query string) []string {
	t.Helper()
	var out []string
	path := base + "/orders?" + query
	for pages := 0; pages < 1000; pages++ {
		r := get(t, path)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		var p listPage
		r.json(t, &p)
		out = append(out, p.ids()...)
		if p.Next == nil {
			return out
		}
		path = base + "/orders?cursor=" + url.QueryEscape(*p.Next)
	}
	t.Fatal("paging did not end")
	return nil
}

// catalogue is a fixed set of orders with ties in placed date and total.
var catalogue = []viewtest.Spec{
	spec("a", "submitted", "b-1", 500, 1, 1),
	spec("b", "paid", "b-1", 1500, 2, 2),
	spec("c", "shipped", "b-2", 1500, 2, 3),
	spec("d", "cancelled", "b-2", 200, 3, 2),
	spec("e", "paid", "b-3", 900, 4, 2),
	spec("f", "submitted", "b-1", 0, 5, 1),
	{ID: "g", Status: "paid", Buyer: "b-3", Currency: "USD", Total: 700, Placed: t0.Add(6 * time.Hour), Version: 2},
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, catalogue...)
	from, to := url.QueryEscape(t0.Add(2*time.Hour).Format(time.RFC3339)), url.QueryEscape(t0.Add(5*time.Hour).Format(time.RFC3339))
	for query, want := range map[string][]string{
		"":                                 {"g", "f", "e", "d", "c", "b", "a"},
		"order=asc":                        {"a", "b", "c", "d", "e", "f", "g"},
		"sort=total":                       {"c", "b", "e", "g", "a", "d", "f"},
		"sort=total&order=asc":             {"f", "d", "a", "g", "e", "b", "c"},
		"status=paid":                      {"g", "e", "b"},
		"status=paid&sort=total&order=asc": {"g", "e", "b"},
		"buyerId=b-1":                      {"f", "b", "a"},
		"buyerId=b-1&sort=total":           {"b", "a", "f"},
		"buyerId=b-9":                      {},
		"placedFrom=" + from:               {"g", "f", "e", "d", "c", "b"},
		"placedTo=" + to:                   {"e", "d", "c", "b", "a"},
		"placedFrom=" + from + "&placedTo=" + to + "&order=asc": {"b", "c", "d", "e"},
		"minTotal=900":                                  {"e", "c", "b"},
		"minTotal=900&sort=total&order=asc":             {"e", "b", "c"},
		"status=paid&buyerId=b-3&minTotal=800":          {"e"},
		"status=shipped&placedTo=" + from:               {},
		"limit=2":                                       {"g", "f", "e", "d", "c", "b", "a"},
		"limit=1&sort=total&order=asc&status=submitted": {"f", "a"},
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			if got := listAll(t, f.url, query); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func TestListOrdersBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, catalogue...)
	r := get(t, f.url+"/orders?status=cancelled")
	if r.status != 200 || string(r.body) != `{"items":[`+catalogue[3].Served()+`],"next":null}`+"\n" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = get(t, f.url+"/orders?status=shipped&buyerId=b-1")
	if string(r.body) != `{"items":[],"next":null}`+"\n" {
		t.Fatalf("empty page %s", r.body)
	}
	var p listPage
	get(t, f.url+"/orders?limit=3").json(t, &p)
	if len(p.Items) != 3 || p.Next == nil {
		t.Fatalf("first page %v next %v", p.ids(), p.Next)
	}
}

func TestListOrdersCursorRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, catalogue...)
	var p listPage
	get(t, f.url+"/orders?status=paid&sort=total&limit=1").json(t, &p)
	cursor := url.QueryEscape(*p.Next)
	// Repeating the listing's own parameters, or changing the limit, is fine.
	var next listPage
	get(t, f.url+"/orders?status=paid&sort=total&limit=2&cursor="+cursor).json(t, &next)
	if got := next.ids(); !slices.Equal(got, []string{"e", "g"}) {
		t.Fatalf("continued %v", got)
	}
	wantProblem(t, get(t, f.url+"/orders?status=shipped&cursor="+cursor), 400, queryapi.RuleCursorMismatch, "status")
	wantProblem(t, get(t, f.url+"/orders?buyerId=b-1&cursor="+cursor), 400, queryapi.RuleCursorMismatch, "buyerId")
	wantProblem(t, get(t, f.url+"/orders?cursor=garbage"), 400, queryapi.RuleInvalidParameter, "cursor")
	forged, _ := json.Marshal(map[string]any{"f": map[string]string{"status": "lost"}, "k": 1, "i": "x"})
	wantProblem(t, get(t, f.url+"/orders?cursor="+b64(forged)), 400, queryapi.RuleInvalidParameter, "status")
}

func TestListOrdersRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, catalogue...)
	for query, field := range map[string]string{
		"status=lost":      "status",
		"status=":          "status",
		"buyerId=a/b":      "buyerId",
		"buyerId=":         "buyerId",
		"placedFrom=today": "placedFrom",
		"placedTo=1":       "placedTo",
		"placedFrom=2026-03-02T00:00:00Z&placedTo=2026-03-01T00:00:00Z": "placedTo",
		"minTotal=-1":  "minTotal",
		"minTotal=1.5": "minTotal",
		"sort=price":   "sort",
		"order=up":     "order",
		"limit=0":      "limit",
		"limit=201":    "limit",
		"page=2":       "page",
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			rule := queryapi.RuleInvalidParameter
			if field == "page" {
				rule = queryapi.RuleUnknownParameter
			}
			wantProblem(t, get(t, f.url+"/orders?"+query), 400, rule, field)
		})
	}
}

// TestListOrdersStableUnderUpdates pages through every order while their
// status and total keep changing between and during the pages: each order
// appears exactly once, in placed order (placed dates never change).
func TestListOrdersStableUnderUpdates(t *testing.T) {
	t.Parallel()
	var specs []viewtest.Spec
	for i := 0; i < 600; i++ {
		specs = append(specs, spec(fmt.Sprintf("o-%04d", i), "submitted", "b-1", int64(i), i%50, 1))
	}
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, specs...)
	want := make([]viewtest.Spec, len(specs))
	copy(want, specs)
	slices.SortFunc(want, func(a, b viewtest.Spec) int {
		if c := a.Placed.Compare(b.Placed); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	var got []string
	path := f.url + "/orders?order=asc&limit=17"
	for v := int64(2); ; v++ {
		var p listPage
		get(t, path).json(t, &p)
		got = append(got, p.ids()...)
		if p.Next == nil {
			break
		}
		path = f.url + "/orders?cursor=" + url.QueryEscape(*p.Next)
		for i := 0; i < 600; i += 7 {
			s := specs[(i+int(v))%600]
			s.Version, s.Status, s.Total = v, "paid", v*10
			f.views.Push(s.Doc())
		}
	}
	for i, s := range want {
		if i >= len(got) || got[i] != s.ID {
			t.Fatalf("position %d: listed %d orders, want %s there; got %v", i, len(got), s.ID, got)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d orders listed, want %d", len(got), len(want))
	}
}
