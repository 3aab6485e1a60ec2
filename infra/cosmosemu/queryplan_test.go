package cosmosemu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
	"orderctx/infra/cosmosemu/epk"
)

// The features the JavaScript SDK 4.x declares.
const jsQueryFeatures = "NonValueAggregate,Aggregate,Distinct,MultipleOrderBy,OffsetAndLimit,OrderBy,Top,CompositeAggregate,GroupBy,MultipleAggregates,NonStreamingOrderBy,ListAndSetAggregate,CountIf,HybridSearch,WeightedRankFusion,HybridSearchSkipOrderByRewrite"

// planFixture is a server with the same 40 items in "multi" (four physical
// partitions, one of them split) and in "oracle" (one partition), whose
// single-range answers are what the merged answers must equal.
type planFixture struct {
	srv    *cosmosemu.Server
	multi  *planningClient
	oracle *planningClient
	sdk    *azcosmos.ContainerClient // "multi" through the Go SDK
}

func newPlanFixture(t *testing.T) *planFixture {
	t.Helper()
	srv, client := newServer(t, cosmosemu.Config{})
	oracle := newContainer(t, client, "oracle")
	body := []byte(`{"id":"multi","partitionKey":{"paths":["/pk"],"kind":"Hash","version":2}}`)
	if status := rawDo(t, srv, "POST", "dbs/db/colls", map[string]string{"x-ms-emulator-partitions": "4"}, body); status != 201 {
		t.Fatalf("create partitioned container: %d", status)
	}
	db, _ := client.NewDatabase("db")
	multi, _ := db.NewContainer("multi")
	ctx := context.Background()
	for i := 0; i < 40; i++ {
		pk := fmt.Sprintf("k%02d", i)
		extra := map[string]any{"n": i, "s": fmt.Sprintf("s%02d", (i*7)%40), "grp": i % 3, "flag": i%4 == 0}
		if i%2 == 0 {
			extra["opt"] = i / 2
		}
		item := cosmostest.Item(fmt.Sprintf("i%02d", i), pk, extra)
		for _, c := range []*azcosmos.ContainerClient{oracle, multi} {
			if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(pk), item, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := srv.SplitRange("db", "multi", "0"); err != nil {
		t.Fatalf("split: %v", err)
	}
	planning := func(coll string) *planningClient {
		return &planningClient{t: t, srv: srv, coll: "dbs/db/colls/" + coll, features: jsQueryFeatures, pageSize: 4}
	}
	return &planFixture{srv: srv, multi: planning("multi"), oracle: planning("oracle"), sdk: multi}
}

// expected runs the query in the one-partition container, as one range.
func (f *planFixture) expected(query string, params map[string]any) []any {
	return f.oracle.readRange(query, params, "0")
}

// TestPlannedQueriesMatchOnePartition runs every kind of query a planning
// SDK merges across five partition key ranges and compares the merged
// answer with the one-partition answer.
func TestPlannedQueriesMatchOnePartition(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	const (
		ordered   = "ordered"   // same results in the same order
		unordered = "unordered" // same results in any order
		counted   = "counted"   // as many results (which ones is up to the engine)
	)
	cases := []struct {
		query   string
		params  map[string]any
		compare string
	}{
		{"SELECT * FROM c ORDER BY c.n", nil, ordered},
		{"SELECT VALUE c.s FROM c ORDER BY c.s DESC", nil, ordered},
		{"SELECT c.id, c.n FROM c WHERE c.grp = 1 ORDER BY c.n DESC", nil, ordered},
		{"SELECT TOP 5 c.id, c.s FROM c ORDER BY c.s", nil, ordered},
		{"SELECT * FROM c WHERE c.n >= @min ORDER BY c.n DESC OFFSET @o LIMIT @l", map[string]any{"@min": 10, "@o": 3, "@l": 7}, ordered},
		{"SELECT c.id FROM c ORDER BY c.grp, c.n DESC", nil, ordered},
		{"SELECT c.id, c.opt FROM c ORDER BY c.opt, c.n", nil, ordered},
		{"SELECT c.id FROM c ORDER BY c.flag DESC, c.n", nil, ordered},
		{"SELECT DISTINCT VALUE c.grp FROM c ORDER BY c.grp", nil, ordered},
		{"SELECT DISTINCT c.grp FROM c", nil, unordered},
		{"SELECT DISTINCT TOP 2 VALUE c.grp FROM c", nil, counted},
		{"SELECT VALUE COUNT(1) FROM c", nil, ordered},
		{"SELECT VALUE SUM(c.n) FROM c WHERE c.grp = 2", nil, ordered},
		{"SELECT VALUE AVG(c.n) FROM c", nil, ordered},
		{"SELECT VALUE MIN(c.s) FROM c", nil, ordered},
		{"SELECT VALUE MAX(c.opt) FROM c", nil, ordered},
		{"SELECT VALUE MAX(c.missing) FROM c", nil, ordered},
		{"SELECT COUNT(1) AS n, MIN(c.n) AS lo, MAX(c.n) AS hi, AVG(c.n) AS mean FROM c", nil, ordered},
		{"SELECT c.grp, COUNT(1) AS n, SUM(c.n) AS total, MAX(c.s) AS best FROM c GROUP BY c.grp", nil, unordered},
		{"SELECT VALUE c.grp FROM c GROUP BY c.grp", nil, unordered},
		{"SELECT VALUE COUNT(1) FROM c GROUP BY c.flag", nil, unordered},
		{"SELECT TOP 3 c.id FROM c", nil, counted},
		{"SELECT * FROM c OFFSET 5 LIMIT 10", nil, counted},
		{"SELECT * FROM c WHERE STARTSWITH(c.id, 'i1')", nil, unordered},
		{"SELECT * FROM c WHERE c.pk = 'k07' ORDER BY c.n", nil, ordered},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			f.multi.t, f.oracle.t = t, t
			got, _ := f.multi.run(tc.query, tc.params)
			want := f.expected(tc.query, tc.params)
			if !sameResults(tc.compare, got, want) {
				t.Fatalf("merged across ranges:\n got  %s\n want %s", canonical(got), canonical(want))
			}
		})
	}
}

func sameResults(how string, got, want []any) bool {
	got, want = withoutSystemProperties(got), withoutSystemProperties(want)
	switch how {
	case "counted":
		return len(got) == len(want)
	case "unordered":
		return sortedJSON(got) == sortedJSON(want)
	}
	return canonical(got) == canonical(want)
}

// withoutSystemProperties drops _rid, _etag and the others, which differ
// between the two containers.
func withoutSystemProperties(rows []any) []any {
	out := []any{}
	for _, r := range rows {
		if m, ok := r.(map[string]any); ok {
			c := map[string]any{}
			for k, v := range m {
				if !strings.HasPrefix(k, "_") {
					c[k] = v
				}
			}
			r = c
		}
		out = append(out, r)
	}
	return out
}

func sortedJSON(rows []any) string {
	s := make([]string, len(rows))
	for i, r := range rows {
		s[i] = canonical(r)
	}
	sort.Strings(s)
	return strings.Join(s, "\n")
}

// TestPlanRangesFollowThePartitionKeyFilter: a query whose WHERE pins the
// partition key is planned over that key's point, so the client reads one
// range.
func TestPlanRangesFollowThePartitionKeyFilter(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	doc := f.multi.plan("SELECT * FROM c WHERE c.pk = @pk ORDER BY c.n", map[string]any{"@pk": "k07"})
	if len(doc.QueryRanges) != 1 || doc.QueryRanges[0].Min != doc.QueryRanges[0].Max || !doc.QueryRanges[0].IsMaxInclusive {
		t.Fatalf("want one point range, got %+v", doc.QueryRanges)
	}
	if rs := f.multi.ranges(doc); len(rs) != 1 {
		t.Fatalf("point range overlaps %d ranges, want 1", len(rs))
	}
	all := f.multi.plan("SELECT * FROM c ORDER BY c.n", nil)
	if len(all.QueryRanges) != 1 || all.QueryRanges[0].Min != "" || all.QueryRanges[0].Max != "FF" {
		t.Fatalf("want the full range, got %+v", all.QueryRanges)
	}
	if rs := f.multi.ranges(all); len(rs) != 5 {
		t.Fatalf("full range overlaps %d ranges, want all 5", len(rs))
	}
}

// TestOrderByResumeFilters: the filters the SDKs put in place of the
// placeholder to resume an ORDER BY (.NET's type-aware form, JavaScript's
// plain comparison) select exactly the rows after the resume point.
func TestOrderByResumeFilters(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	doc := f.multi.plan("SELECT * FROM c ORDER BY c.n", nil)
	cases := []struct {
		filter string
		want   int // items of the 40 the filter keeps
	}{
		{"true", 40},
		{"( c.n > 29 OR IS_STRING(c.n) OR IS_ARRAY(c.n) OR IS_OBJECT(c.n) )", 10},
		{"( c.n >= 29 OR IS_STRING(c.n) OR IS_ARRAY(c.n) OR IS_OBJECT(c.n) )", 11},
		{"(c.n > 29)", 10},
		{"( c.flag > false OR IS_NUMBER(c.flag) OR IS_STRING(c.flag) OR IS_ARRAY(c.flag) OR IS_OBJECT(c.flag) )", 10},
		{"( IS_BOOLEAN(c.flag) AND c.flag = true )", 10},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			f.multi.t = t
			query := strings.ReplaceAll(doc.QueryInfo.RewrittenQuery, "{documentdb-formattableorderbyquery-filter}", tc.filter)
			n := 0
			for _, r := range f.multi.ranges(doc) {
				n += len(f.multi.readRange(query, nil, r.ID))
			}
			if n != tc.want {
				t.Fatalf("%d rows, want %d", n, tc.want)
			}
		})
	}
}

// TestQueryPlanRefusesUndeclaredFeatures: a plan needing a feature the
// client did not declare is refused with the gateway's 400 / 1004.
func TestQueryPlanRefusesUndeclaredFeatures(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	status, header, body := f.multi.post("SELECT TOP 3 * FROM c ORDER BY c.n", nil, map[string]string{
		"x-ms-cosmos-is-query-plan-request":    "True",
		"x-ms-cosmos-supported-query-features": "Aggregate, Distinct",
	})
	var e struct{ Code, Message string }
	_ = json.Unmarshal(body, &e)
	want := "Query contains 1 or more unsupported features. Upgrade your SDK to a version that does support the requested features:" +
		"\r\nQuery contained Top, which the calling client does not support.\r\nQuery contained OrderBy, which the calling client does not support."
	if status != 400 || header.Get("x-ms-substatus") != "1004" || e.Code != "BadRequest" || e.Message != want {
		t.Fatalf("got %d (substatus %q) %+v", status, header.Get("x-ms-substatus"), e)
	}
}

// TestRangeGoneAfterSplit: a rewritten query sent to a range that was
// split answers 410 / 1002, so the SDK refreshes its ranges.
func TestRangeGoneAfterSplit(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	status, header, _ := f.multi.post("SELECT VALUE [{\"item\": COUNT(1)}]\nFROM c", nil, map[string]string{"x-ms-documentdb-partitionkeyrangeid": "0"})
	if status != 410 || header.Get("x-ms-substatus") != "1002" {
		t.Fatalf("split range: %d %q", status, header.Get("x-ms-substatus"))
	}
}

// TestClientsWithoutPlansStillGetTheGatewayRefusal: the Go SDK, which does
// not plan, gets the gateway's 400 for queries that need a plan, as before;
// the refusal now carries the plan as additionalErrorInfo, which the
// JavaScript SDK reads as the signal to plan.
func TestClientsWithoutPlansStillGetTheGatewayRefusal(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	for _, q := range []string{"SELECT * FROM c ORDER BY c.n", "SELECT VALUE COUNT(1) FROM c", "SELECT TOP 1 * FROM c", "SELECT DISTINCT c.grp FROM c"} {
		pager := f.sdk.NewQueryItemsPager(q, azcosmos.NewPartitionKey(), nil)
		_, err := pager.NextPage(context.Background())
		if cosmostest.StatusOf(err) != 400 || !strings.Contains(err.Error(), "cross partition query can not be directly served by the gateway") {
			t.Fatalf("%s: want the gateway's 400, got %v", q, err)
		}
	}
	status, header, body := f.multi.post("SELECT * FROM c ORDER BY c.n", nil, map[string]string{"x-ms-documentdb-query-enablecrosspartition": "True"})
	var e struct {
		Message, AdditionalErrorInfo string
	}
	if err := json.Unmarshal(body, &e); err != nil || status != 400 || header.Get("x-ms-substatus") != "1004" {
		t.Fatalf("raw refusal: %d %s %v", status, body, err)
	}
	var plan struct {
		QueryInfo struct{ RewrittenQuery string } `json:"queryInfo"`
	}
	if err := json.Unmarshal([]byte(e.AdditionalErrorInfo), &plan); err != nil || !strings.Contains(plan.QueryInfo.RewrittenQuery, "AS orderByItems") {
		t.Fatalf("additionalErrorInfo %q: %v", e.AdditionalErrorInfo, err)
	}
}

// TestQueryOfAnEPKSubRange: a per-range query that names part of the range
// by effective partition key (as the SDKs do after a split) reads only the
// items whose partition keys hash into that part.
func TestQueryOfAnEPKSubRange(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	r := f.multi.ranges(f.multi.plan("SELECT * FROM c", nil))[0]
	mid, err := epk.MidpointVersion(r.Min, r.Max, 2)
	if err != nil {
		t.Fatal(err)
	}
	whole := f.multi.readRange("SELECT VALUE c.pk FROM c", nil, r.ID)
	seen := 0
	for _, half := range [][2]string{{r.Min, mid}, {mid, r.Max}} {
		rows := f.multi.readRangeWith("SELECT VALUE c.pk FROM c", r.ID, map[string]string{
			"x-ms-read-key-type": "EffectivePartitionKeyRange", "x-ms-start-epk": half[0], "x-ms-end-epk": half[1]})
		for _, row := range rows {
			e, _ := epk.Compute([]any{row}, 2)
			if epk.Compare(e, half[0]) < 0 || epk.Compare(e, half[1]) >= 0 {
				t.Fatalf("%v (EPK %s) is outside [%s, %s)", row, e, half[0], half[1])
			}
		}
		seen += len(rows)
	}
	if seen != len(whole) || len(whole) == 0 {
		t.Fatalf("the halves hold %d items, the range %d", seen, len(whole))
	}
}
