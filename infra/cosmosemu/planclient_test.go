package cosmosemu_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/epk"
	"orderctx/infra/cosmosemu/queryplan"
)

// planningClient acts as the SDKs that plan queries (JavaScript, .NET off
// Windows, Java, Python) do: it asks for the query plan, sends the
// rewritten query to every partition key range the plan's ranges touch,
// pages through each range, and merges the answers as the plan says.
type planningClient struct {
	t        *testing.T
	srv      *cosmosemu.Server
	coll     string // "dbs/<db>/colls/<id>"
	features string
	pageSize int
}

// queryBody is the JSON body of a query with its parameters.
func queryBody(query string, params map[string]any) []byte {
	type param struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	ps := []param{}
	for k, v := range params {
		ps = append(ps, param{k, v})
	}
	b, _ := json.Marshal(map[string]any{"query": query, "parameters": ps})
	return b
}

// post sends a query request and returns the status, headers and body.
func (pc *planningClient) post(query string, params map[string]any, headers map[string]string) (int, http.Header, []byte) {
	pc.t.Helper()
	h := map[string]string{"x-ms-documentdb-isquery": "True", "Content-Type": "application/query+json"}
	for k, v := range headers {
		h[k] = v
	}
	resp := rawResp(pc.t, pc.srv, "POST", pc.coll+"/docs", h, queryBody(query, params))
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		pc.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// plan fetches the query plan as the JavaScript SDK asks for it.
func (pc *planningClient) plan(query string, params map[string]any) queryplan.Document {
	pc.t.Helper()
	status, _, body := pc.post(query, params, map[string]string{
		"x-ms-cosmos-is-query-plan-request":    "True",
		"x-ms-cosmos-query-version":            "1.4",
		"x-ms-cosmos-supported-query-features": pc.features,
	})
	if status != 200 {
		pc.t.Fatalf("plan %q: %d %s", query, status, body)
	}
	var doc queryplan.Document
	if err := json.Unmarshal(body, &doc); err != nil {
		pc.t.Fatalf("plan %q: %v", query, err)
	}
	return doc
}

type pkRange struct {
	ID  string `json:"id"`
	Min string `json:"minInclusive"`
	Max string `json:"maxExclusive"`
}

// ranges lists the live partition key ranges that overlap the plan's.
func (pc *planningClient) ranges(doc queryplan.Document) []pkRange {
	pc.t.Helper()
	resp := rawResp(pc.t, pc.srv, "GET", pc.coll+"/pkranges", nil, nil)
	var feed struct{ PartitionKeyRanges []pkRange }
	if err := jsonDecode(resp.Body, &feed); err != nil {
		pc.t.Fatal(err)
	}
	var out []pkRange
	for _, r := range feed.PartitionKeyRanges {
		for _, q := range doc.QueryRanges {
			lo := epk.Compare(q.Max, r.Min) > 0 || (q.IsMaxInclusive && q.Max == r.Min)
			if lo && epk.Compare(q.Min, r.Max) < 0 {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// readRange runs the per-range query to the end, page by page.
func (pc *planningClient) readRange(query string, params map[string]any, rangeID string) []any {
	pc.t.Helper()
	return pc.read(query, params, rangeID, nil)
}

// readRangeWith reads a range sending extra headers.
func (pc *planningClient) readRangeWith(query, rangeID string, extra map[string]string) []any {
	pc.t.Helper()
	return pc.read(query, nil, rangeID, extra)
}

func (pc *planningClient) read(query string, params map[string]any, rangeID string, extra map[string]string) []any {
	pc.t.Helper()
	var rows []any
	cont := ""
	for {
		h := map[string]string{"x-ms-documentdb-partitionkeyrangeid": rangeID, "x-ms-max-item-count": fmt.Sprint(pc.pageSize)}
		for k, v := range extra {
			h[k] = v
		}
		if cont != "" {
			h["x-ms-continuation"] = cont
		}
		status, header, body := pc.post(query, params, h)
		if status != 200 {
			pc.t.Fatalf("range %s: %q: %d %s", rangeID, query, status, body)
		}
		var page struct{ Documents []any }
		if err := json.Unmarshal(body, &page); err != nil {
			pc.t.Fatal(err)
		}
		rows = append(rows, page.Documents...)
		if cont = header.Get("x-ms-continuation"); cont == "" {
			return rows
		}
	}
}

// run executes a query the way a planning SDK does and returns the merged
// results, with the plan it followed.
func (pc *planningClient) run(query string, params map[string]any) ([]any, queryplan.Document) {
	pc.t.Helper()
	doc := pc.plan(query, params)
	perRange := doc.QueryInfo.RewrittenQuery
	if perRange == "" {
		perRange = query
	}
	perRange = strings.ReplaceAll(perRange, "{documentdb-formattableorderbyquery-filter}", "true")
	var streams [][]any
	for _, r := range pc.ranges(doc) {
		streams = append(streams, pc.readRange(perRange, params, r.ID))
	}
	return merge(pc.t, doc.QueryInfo, streams), doc
}

// merge combines per-range results as the plan says, in the SDKs' order:
// sort or aggregate, then DISTINCT, then OFFSET LIMIT, then TOP.
func merge(t *testing.T, qi queryplan.QueryInfo, streams [][]any) []any {
	t.Helper()
	var out []any
	switch {
	case len(qi.OrderBy) > 0:
		out = mergeOrderBy(t, qi, streams)
	case len(qi.GroupByExpressions) > 0 || len(qi.Aggregates) > 0 || len(qi.GroupByAliases) > 0:
		out = mergeGroups(t, qi, streams)
	default:
		for _, s := range streams {
			out = append(out, s...)
		}
	}
	if qi.DistinctType != "None" {
		out = distinctValues(out)
	}
	if qi.Offset != nil {
		out = window(out, int(*qi.Offset), int(*qi.Limit))
	}
	if qi.Top != nil {
		out = window(out, 0, int(*qi.Top))
	}
	return out
}

func window(rows []any, offset, limit int) []any {
	if offset >= len(rows) {
		return []any{}
	}
	rows = rows[offset:]
	if limit < len(rows) {
		rows = rows[:limit]
	}
	return rows
}

func distinctValues(rows []any) []any {
	seen := map[string]bool{}
	out := []any{}
	for _, r := range rows {
		k := canonical(r)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// mergeOrderBy checks that every range returned its rows sorted, then
// merges them and returns the payloads.
func mergeOrderBy(t *testing.T, qi queryplan.QueryInfo, streams [][]any) []any {
	t.Helper()
	type row struct{ keys, payload any }
	var all []row
	for i, s := range streams {
		for j, r := range s {
			m := r.(map[string]any)
			if _, ok := m["_rid"]; !ok {
				t.Fatalf("range %d row %d has no _rid: %v", i, j, m)
			}
			all = append(all, row{m["orderByItems"], m["payload"]})
			if j > 0 && compareKeys(qi.OrderBy, s[j-1].(map[string]any)["orderByItems"], m["orderByItems"]) > 0 {
				t.Fatalf("range %d is not sorted at row %d: %v after %v", i, j, m["orderByItems"], s[j-1].(map[string]any)["orderByItems"])
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return compareKeys(qi.OrderBy, all[i].keys, all[j].keys) < 0 })
	out := make([]any, len(all))
	for i, r := range all {
		out[i] = r.payload
	}
	return out
}

// compareKeys compares two orderByItems lists ([{"item": v}, ...]; an
// undefined key is {}) under the sort orders.
func compareKeys(orders []string, a, b any) int {
	as, bs := a.([]any), b.([]any)
	for i, o := range orders {
		av, aok := as[i].(map[string]any)["item"]
		bv, bok := bs[i].(map[string]any)["item"]
		c := compareItems(av, aok, bv, bok)
		if o == "Descending" {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareItems orders undefined < null < booleans < numbers < strings.
func compareItems(a any, aok bool, b any, bok bool) int {
	rank := func(v any, ok bool) int {
		switch v.(type) {
		case nil:
			if !ok {
				return 0
			}
			return 1
		case bool:
			return 2
		case float64:
			return 3
		}
		return 4
	}
	if ra, rb := rank(a, aok), rank(b, bok); ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case bool:
		return map[bool]int{false: 0, true: 1}[x] - map[bool]int{false: 0, true: 1}[b.(bool)]
	case float64:
		switch y := b.(float64); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case string:
		return strings.Compare(x, b.(string))
	}
	return 0
}

// mergeGroups combines grouped or aggregated rows: one group per distinct
// groupByItems (a single group without GROUP BY), each alias or VALUE
// aggregate folded over the ranges' partial results.
func mergeGroups(t *testing.T, qi queryplan.QueryInfo, streams [][]any) []any {
	t.Helper()
	var order []string
	groups := map[string][]any{}
	for _, s := range streams {
		for _, r := range s {
			key := ""
			payload := r
			if m, ok := r.(map[string]any); ok && (len(qi.GroupByExpressions) > 0 || !qi.HasSelectValue) {
				key, payload = canonical(m["groupByItems"]), m["payload"]
			}
			if _, seen := groups[key]; !seen {
				order = append(order, key)
			}
			groups[key] = append(groups[key], payload)
		}
	}
	out := []any{}
	for _, k := range order {
		if v, ok := foldGroup(t, qi, groups[k]); ok {
			out = append(out, v)
		}
	}
	return out
}

// foldGroup turns one group's payloads into its result (false: undefined).
func foldGroup(t *testing.T, qi queryplan.QueryInfo, payloads []any) (any, bool) {
	t.Helper()
	if qi.HasSelectValue {
		if len(qi.Aggregates) == 0 {
			return payloads[0], true
		}
		partials := make([]map[string]any, len(payloads))
		for i, p := range payloads {
			partials[i] = p.([]any)[0].(map[string]any)
		}
		return fold(qi.Aggregates[0], partials)
	}
	obj := map[string]any{}
	for alias, agg := range qi.GroupByAliasToAggregateType {
		if agg == nil {
			if v, ok := payloads[0].(map[string]any)[alias]; ok {
				obj[alias] = v
			}
			continue
		}
		partials := make([]map[string]any, len(payloads))
		for i, p := range payloads {
			partials[i], _ = p.(map[string]any)[alias].(map[string]any)
		}
		if v, ok := fold(*agg, partials); ok {
			obj[alias] = v
		}
	}
	return obj, true
}

// fold combines partial aggregates ({"item": ..., "item2": ...}).
func fold(agg string, partials []map[string]any) (any, bool) {
	switch agg {
	case "Count", "Sum":
		total := 0.0
		for _, p := range partials {
			n, ok := p["item"].(float64)
			if !ok {
				return nil, false
			}
			total += n
		}
		return total, true
	case "Average":
		sum, count := 0.0, 0.0
		for _, p := range partials {
			part := p["item"].(map[string]any)
			s, _ := part["sum"].(float64)
			c, _ := part["count"].(float64)
			sum, count = sum+s, count+c
		}
		return sum / count, count > 0
	}
	// Min and Max: item2 carries the value and how many values made it.
	field := strings.ToLower(agg)
	var best any
	found := false
	for _, p := range partials {
		part, _ := p["item2"].(map[string]any)
		v, ok := part[field]
		if !ok {
			continue
		}
		c := compareItems(v, true, best, found)
		if !found || (agg == "Min" && c < 0) || (agg == "Max" && c > 0) {
			best, found = v, true
		}
	}
	return best, found
}
