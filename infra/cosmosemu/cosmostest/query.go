package cosmostest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

func testQueriesWithinPartition(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "q")
	pk := azcosmos.NewPartitionKeyString("s")
	for i := 1; i <= 25; i++ {
		if _, err := c.CreateItem(ctx, pk, Item(fmt.Sprintf("e%02d", i), "s", map[string]any{"version": i, "type": []string{"a", "b"}[i%2]}), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("other"), Item("x", "other", map[string]any{"version": 1}), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		query  string
		params []azcosmos.QueryParameter
		want   int
		check  func([]map[string]any) error
	}{
		{"all in partition", "SELECT * FROM c", nil, 25, nil},
		{"filter with parameter", "SELECT * FROM c WHERE c.version > @v", []azcosmos.QueryParameter{{Name: "@v", Value: 20}}, 5, nil},
		{"order by desc", "SELECT * FROM c ORDER BY c.version DESC", nil, 25, func(r []map[string]any) error {
			if r[0]["version"] != float64(25) || r[24]["version"] != float64(1) {
				return fmt.Errorf("not descending: first %v last %v", r[0]["version"], r[24]["version"])
			}
			return nil
		}},
		{"top", "SELECT TOP 3 * FROM c ORDER BY c.version", nil, 3, nil},
		{"offset limit", "SELECT * FROM c ORDER BY c.version OFFSET 10 LIMIT 5", nil, 5, func(r []map[string]any) error {
			if r[0]["version"] != float64(11) {
				return fmt.Errorf("offset wrong: %v", r[0])
			}
			return nil
		}},
		{"count", "SELECT VALUE COUNT(1) FROM c WHERE c.type = 'a'", nil, 1, func(r []map[string]any) error {
			if r[0]["value"] != float64(12) {
				return fmt.Errorf("count %v", r[0])
			}
			return nil
		}},
		{"projection", "SELECT c.id, c.version FROM c WHERE c.version = 7", nil, 1, func(r []map[string]any) error {
			if len(r[0]) != 2 || r[0]["id"] != "e07" {
				return fmt.Errorf("projection %v", r[0])
			}
			return nil
		}},
		{"max", "SELECT VALUE MAX(c.version) FROM c", nil, 1, func(r []map[string]any) error {
			if r[0]["value"] != float64(25) {
				return fmt.Errorf("max %v", r[0])
			}
			return nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := queryAll(t, c, tc.query, pk, &azcosmos.QueryOptions{QueryParameters: tc.params, PageSizeHint: 4})
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if len(rows) != tc.want {
				t.Fatalf("%d rows, want %d", len(rows), tc.want)
			}
			if tc.check != nil {
				if err := tc.check(rows); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// Paging: 25 items at 4 per page is 7 pages, each under the hint.
	rows, pages, err := queryAll(t, c, "SELECT * FROM c", pk, &azcosmos.QueryOptions{PageSizeHint: 4})
	if err != nil || len(rows) != 25 || pages != 7 {
		t.Fatalf("paging: %d rows in %d pages, %v", len(rows), pages, err)
	}
	if _, _, err := queryAll(t, c, "SELECT * FROM c WHERE", pk, nil); StatusOf(err) != 400 {
		t.Fatalf("syntax error: want 400, got %v", err)
	}
}

func testQueryLanguageWithinPartition(t *testing.T, s *suite) {
	c := s.containerWith(t, azcosmos.ContainerProperties{ID: "lang",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}},
		IndexingPolicy:         orderByTwoFields})
	pk := seedQueryItems(t, c)
	type params = []azcosmos.QueryParameter
	cases := []struct {
		name   string
		query  string
		params params
		// want is the JSON array of results; in order when ordered is
		// set, else compared as a multiset.
		want    string
		ordered bool
	}{
		// IN
		{name: "in", query: "SELECT VALUE c.id FROM c WHERE c.name IN ('apple', 'cherry', 'nope')", want: `["i1","i5"]`},
		{name: "not in", query: "SELECT VALUE c.id FROM c WHERE c.grp NOT IN (1, 3)", want: `["i1","i3","i6"]`},
		{name: "in with parameters", query: "SELECT VALUE c.id FROM c WHERE c.n IN (@a, @b)", params: params{{Name: "@a", Value: 20}, {Name: "@b", Value: 50}}, want: `["i2","i5","i6"]`},
		// IS_DEFINED
		{name: "is_defined", query: "SELECT VALUE c.id FROM c WHERE IS_DEFINED(c.tags)", want: `["i1","i2","i3","i4","i5"]`},
		{name: "not is_defined", query: "SELECT VALUE c.id FROM c WHERE NOT IS_DEFINED(c.tags)", want: `["i6"]`},
		{name: "is_defined nested", query: "SELECT VALUE c.id FROM c WHERE IS_DEFINED(c.a.b.c)", want: `["i1","i2","i5","i6"]`},
		// ARRAY_CONTAINS
		{name: "array_contains", query: "SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.tags, 'red')", want: `["i1","i4"]`},
		{name: "array_contains parameter", query: "SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.tags, @tag)", params: params{{Name: "@tag", Value: "green"}}, want: `["i1","i2"]`},
		{name: "array_contains array parameter", query: "SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(@names, c.name)", params: params{{Name: "@names", Value: []string{"banana", "avocado", "kiwi"}}}, want: `["i3","i6"]`},
		// STARTSWITH
		{name: "startswith", query: "SELECT VALUE c.id FROM c WHERE STARTSWITH(c.name, 'ap')", want: `["i1","i2"]`},
		{name: "startswith is case sensitive", query: "SELECT VALUE c.id FROM c WHERE STARTSWITH(c.name, 'AP')", want: `[]`},
		{name: "startswith ignoring case", query: "SELECT VALUE c.id FROM c WHERE STARTSWITH(c.name, 'AP', true)", want: `["i1","i2"]`},
		// AND / OR / NOT
		{name: "or and not", query: "SELECT VALUE c.id FROM c WHERE (c.grp = 2 OR c.n > 40) AND NOT STARTSWITH(c.name, 'b')", want: `["i1","i5","i6"]`},
		{name: "and binds tighter than or", query: "SELECT VALUE c.id FROM c WHERE c.grp = 3 OR c.grp = 1 AND c.n > 30", want: `["i4","i5"]`},
		{name: "not of a parenthesised or", query: "SELECT VALUE c.id FROM c WHERE NOT (c.grp = 1 OR STARTSWITH(c.name, 'ban'))", want: `["i1","i5","i6"]`},
		// i6 has no tags: ARRAY_CONTAINS is undefined there, so is the OR
		// (false OR undefined) and its NOT, and WHERE drops it.
		{name: "not of an undefined operand", query: "SELECT VALUE c.id FROM c WHERE NOT (c.grp = 1 OR ARRAY_CONTAINS(c.tags, 'yellow'))", want: `["i1","i5"]`},
		{name: "and of parameters", query: "SELECT VALUE c.id FROM c WHERE c.grp = @g AND (c.n < @max OR c.name = @name)", params: params{{Name: "@g", Value: 1}, {Name: "@max", Value: 30}, {Name: "@name", Value: "blueberry"}}, want: `["i2","i4"]`},
		// nested property paths
		{name: "nested path filter", query: "SELECT VALUE c.id FROM c WHERE c.a.b.c = 'x'", want: `["i1","i5"]`},
		{name: "nested path with brackets", query: `SELECT VALUE c.id FROM c WHERE c["a"]["b"]["c"] = @c`, params: params{{Name: "@c", Value: "z"}}, want: `["i6"]`},
		{name: "nested path projection", query: "SELECT c.id, c.a.b.c FROM c WHERE c.grp = 2 ORDER BY c.id", ordered: true,
			want: `[{"id":"i1","c":"x"},{"id":"i3"},{"id":"i6","c":"z"}]`},
		{name: "nested path value", query: "SELECT VALUE c.a.b.c FROM c ORDER BY c.id", ordered: true, want: `["x","y","x","z"]`},
		// ORDER BY two fields; ties on the first one
		{name: "order by asc then desc", query: "SELECT VALUE c.id FROM c ORDER BY c.grp ASC, c.n DESC", ordered: true, want: `["i4","i2","i3","i6","i1","i5"]`},
		{name: "order by desc then asc", query: "SELECT VALUE c.id FROM c ORDER BY c.grp DESC, c.name", ordered: true, want: `["i5","i1","i6","i3","i2","i4"]`},
		{name: "order by two fields with filter", query: "SELECT c.id, c.n FROM c WHERE c.n >= 20 ORDER BY c.n, c.name DESC", ordered: true,
			want: `[{"id":"i6","n":20},{"id":"i2","n":20},{"id":"i3","n":30},{"id":"i4","n":40},{"id":"i5","n":50}]`},
		// TOP with ORDER BY: the exact rows, with a tie at the cut
		{name: "top with order by", query: "SELECT TOP 4 VALUE c.id FROM c ORDER BY c.n DESC, c.name ASC", ordered: true, want: `["i5","i4","i3","i2"]`},
		{name: "top with order by desc tie-break", query: "SELECT TOP 4 VALUE c.id FROM c ORDER BY c.n DESC, c.name DESC", ordered: true, want: `["i5","i4","i3","i6"]`},
		{name: "top parameter", query: "SELECT TOP @k c.id, c.name FROM c WHERE c.grp = 2 ORDER BY c.name DESC", params: params{{Name: "@k", Value: 2}}, ordered: true,
			want: `[{"id":"i3","name":"banana"},{"id":"i6","name":"avocado"}]`},
		{name: "top larger than the result", query: "SELECT TOP 10 VALUE c.id FROM c WHERE c.grp = 1 ORDER BY c.n", ordered: true, want: `["i2","i4"]`},
		// SUM and MIN, VALUE and object forms
		{name: "value sum", query: "SELECT VALUE SUM(c.n) FROM c", want: `[170]`},
		{name: "sum with alias and filter", query: "SELECT SUM(c.n) AS total FROM c WHERE c.grp = 2", want: `[{"total":60}]`},
		{name: "sum of nothing", query: "SELECT VALUE SUM(c.n) FROM c WHERE c.grp = 99", want: `[0]`},
		{name: "value min", query: "SELECT VALUE MIN(c.n) FROM c", want: `[10]`},
		{name: "min without alias", query: "SELECT MIN(c.n) FROM c WHERE c.grp = 1", want: `[{"$1":20}]`},
		{name: "min of strings", query: "SELECT VALUE MIN(c.name) FROM c", want: `["apple"]`},
		{name: "min of nothing", query: "SELECT VALUE MIN(c.n) FROM c WHERE c.grp = 99", want: `[]`},
		{name: "min and sum together", query: "SELECT MIN(c.n) AS lo, SUM(c.n) AS total FROM c WHERE c.grp = @g", params: params{{Name: "@g", Value: 2}}, want: `[{"lo":10,"total":60}]`},
		{name: "sum of nested path", query: "SELECT VALUE SUM(c.n) FROM c WHERE c.a.b.c = 'x'", want: `[60]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A page size of 2 makes most of these span several pages.
			got, err := QueryValues(t, c, tc.query, pk, &azcosmos.QueryOptions{QueryParameters: tc.params, PageSizeHint: 2})
			if err != nil {
				t.Fatalf("%s: %v", tc.query, err)
			}
			want := mustJSON(t, tc.want).([]any)
			if tc.ordered {
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s:\n got %s\nwant %s", tc.query, jsonText(got), tc.want)
				}
			} else if g, w := sortedJSON(got), sortedJSON(want); !slices.Equal(g, w) {
				t.Fatalf("%s:\n got %v\nwant %v (in any order)", tc.query, g, w)
			}
		})
	}
}

// testQueryGroupByWithinPartition: GROUP BY is served within one partition
// key (and refused across partitions, see TestCrossPartitionQueryRefusals).
func testQueryGroupByWithinPartition(t *testing.T, s *suite) {
	c := s.container(t, "groups")
	pk := seedQueryItems(t, c)
	cases := []struct {
		name, query, want string
	}{
		{"count and sum per group", "SELECT c.grp, COUNT(1) AS n, SUM(c.n) AS total FROM c GROUP BY c.grp",
			`[{"grp":1,"n":2,"total":60},{"grp":2,"n":3,"total":60},{"grp":3,"n":1,"total":50}]`},
		{"value of the group key with filter", "SELECT VALUE c.grp FROM c WHERE c.n >= 30 GROUP BY c.grp", `[1,2,3]`},
		{"min per nested path group", "SELECT c.a.b.c AS k, MIN(c.name) AS first FROM c WHERE IS_DEFINED(c.a.b.c) GROUP BY c.a.b.c",
			`[{"k":"x","first":"apple"},{"k":"y","first":"apricot"},{"k":"z","first":"avocado"}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := QueryValues(t, c, tc.query, pk, &azcosmos.QueryOptions{PageSizeHint: 2})
			if err != nil {
				t.Fatalf("%s: %v", tc.query, err)
			}
			// Groups come in no documented order.
			if g, w := sortedJSON(got), sortedJSON(mustJSON(t, tc.want).([]any)); !slices.Equal(g, w) {
				t.Fatalf("%s:\n got %v\nwant %v (in any order)", tc.query, g, w)
			}
		})
	}
}

// testPagingSeesItemsAddedMeanwhile pages a partition while items are added:
// a streaming query resumes after the last item it evaluated, so nothing is
// returned twice and items created later come at the end.
func testPagingSeesItemsAddedMeanwhile(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "paging")
	pk := azcosmos.NewPartitionKeyString("s")
	for i := 0; i < 10; i++ {
		if _, err := c.CreateItem(ctx, pk, Item(fmt.Sprintf("a%02d", i), "s", nil), nil); err != nil {
			t.Fatal(err)
		}
	}
	pager := c.NewQueryItemsPager("SELECT * FROM c", pk, &azcosmos.QueryOptions{PageSizeHint: 4})
	seen := map[string]int{}
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			seen[decode(t, it)["id"].(string)]++
		}
		if pages == 0 {
			// Between pages: delete one seen item, add a new one.
			if _, err := c.DeleteItem(ctx, pk, "a00", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateItem(ctx, pk, Item("b00", "s", nil), nil); err != nil {
				t.Fatal(err)
			}
		}
		pages++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s returned %d times", id, n)
		}
	}
	if len(seen) != 11 || seen["b00"] != 1 {
		t.Fatalf("paging returned %d items (%v), want the 10 original and the one added", len(seen), seen)
	}
}

func testCrossPartitionQueries(t *testing.T, s *suite) {
	ctx := context.Background()
	c, ranges := s.partitioned(t, "xq")
	for i := 0; i < 40; i++ {
		k := fmt.Sprint("k", i)
		if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(k), Item("x", k, map[string]any{"n": i}), nil); err != nil {
			t.Fatal(err)
		}
	}
	rows, pages, err := queryAll(t, c, "SELECT * FROM c WHERE c.n >= 10", azcosmos.NewPartitionKey(), nil)
	if err != nil || len(rows) != 30 {
		t.Fatalf("cross-partition filter: %d rows, %v", len(rows), err)
	}
	if pages < len(ranges) {
		t.Fatalf("cross-partition results came in %d pages, want one or more per range (%d)", pages, len(ranges))
	}
	for _, q := range []string{
		"SELECT * FROM c ORDER BY c.n",
		"SELECT VALUE COUNT(1) FROM c",
		"SELECT TOP 1 * FROM c",
		"SELECT DISTINCT c.n FROM c",
		"SELECT * FROM c OFFSET 1 LIMIT 2",
	} {
		_, _, err := queryAll(t, c, q, azcosmos.NewPartitionKey(), nil)
		if StatusOf(err) != 400 || !strings.Contains(err.Error(), "cross partition query can not be directly served by the gateway") {
			t.Errorf("%s across partitions: want the gateway's 400, got %v", q, err)
		}
	}
	// A WHERE that pins the partition key is routed to that partition, as the gateway does.
	pinned, _, err := queryAll(t, c, "SELECT * FROM c WHERE c.pk = 'k7' ORDER BY c.n", azcosmos.NewPartitionKey(), nil)
	if err != nil || len(pinned) != 1 || pinned[0]["n"] != float64(7) {
		t.Fatalf("query pinned to one partition by WHERE: %v %v", pinned, err)
	}
	no := false
	_, _, err = queryAll(t, c, "SELECT * FROM c", azcosmos.NewPartitionKey(), &azcosmos.QueryOptions{EnableCrossPartitionQuery: &no})
	if qe := ErrorOf(t, err); qe.Status != 400 || !strings.Contains(qe.Message, "Cross partition query is required but disabled") {
		t.Fatalf("cross-partition disabled: want 400 saying cross-partition queries are disabled, got %+v", qe)
	}
}

// testCrossPartitionQueryRefusals: across physical partitions, GROUP BY gets
// the gateway's 400, and any query is refused when cross-partition queries
// are disabled.
func testCrossPartitionQueryRefusals(t *testing.T, s *suite) {
	ctx := context.Background()
	c, _ := s.partitioned(t, "xgroups")
	for i := 0; i < 20; i++ {
		k := fmt.Sprint("k", i)
		if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(k), Item("x", k, map[string]any{"grp": i % 3}), nil); err != nil {
			t.Fatal(err)
		}
	}
	const gateway = "The provided cross partition query can not be directly served by the gateway."
	const valueAggregates = "Cross partition query only supports 'VALUE <AggreateFunc>' for aggregates."
	cases := []struct {
		name, query string
		// the message starts with prefix and names blocker; substatus is
		// the x-ms-substatus header ("" when the service sends none).
		prefix, blocker, substatus string
	}{
		{"group by", "SELECT c.grp FROM c GROUP BY c.grp", gateway, "(GROUP BY)", "1004"},
		{"group by with value", "SELECT VALUE c.grp FROM c GROUP BY c.grp", gateway, "(GROUP BY)", "1004"},
		{"group by with aggregate", "SELECT c.grp, COUNT(1) AS n FROM c GROUP BY c.grp", valueAggregates, "(aggregate functions, GROUP BY)", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := QueryValues(t, c, tc.query, azcosmos.NewPartitionKey(), nil)
			qe := ErrorOf(t, err)
			if qe.Status != 400 || !strings.HasPrefix(qe.Message, tc.prefix) || !strings.Contains(qe.Message, tc.blocker) || qe.SubStatus != tc.substatus {
				t.Fatalf("want 400 (substatus %q) %q naming %s, got %+v", tc.substatus, tc.prefix, tc.blocker, qe)
			}
		})
	}

	// The same GROUP BY with a partition key is answered from that partition.
	got, err := QueryValues(t, c, "SELECT c.grp, COUNT(1) AS n FROM c GROUP BY c.grp", azcosmos.NewPartitionKeyString("k4"), nil)
	if err != nil || jsonText(got) != `[{"grp":1,"n":1}]` {
		t.Fatalf("GROUP BY within partition k4: %s, %v", jsonText(got), err)
	}

	// Cross-partition queries disabled: refused, whatever the query; the
	// same query with them enabled is served.
	no := false
	const disabled = "Cross partition query is required but disabled."
	for _, q := range []string{"SELECT * FROM c", "SELECT VALUE c.id FROM c WHERE c.grp = 1", "SELECT c.grp FROM c GROUP BY c.grp"} {
		_, err := QueryValues(t, c, q, azcosmos.NewPartitionKey(), &azcosmos.QueryOptions{EnableCrossPartitionQuery: &no})
		qe := ErrorOf(t, err)
		if qe.Status != 400 || qe.Code != "BadRequest" || !strings.HasPrefix(qe.Message, disabled) || !strings.Contains(qe.Message, "x-ms-documentdb-query-enablecrosspartition") {
			t.Errorf("%s with cross-partition queries disabled: want 400 %q, got %+v", q, disabled, qe)
		}
	}
	all, err := QueryValues(t, c, "SELECT VALUE c.pk FROM c", azcosmos.NewPartitionKey(), nil)
	if err != nil || len(all) != 20 {
		t.Fatalf("cross-partition query enabled (the default): %d results, %v", len(all), err)
	}
}

// seedQueryItems writes six items to partition "s" and, to partition
// "other", one item that every query below would match if it leaked across
// partitions.
//
//	id  name       grp  n   tags              a
//	i1  apple      2    10  [red, green]      {b: {c: x}}
//	i2  apricot    1    20  [green]           {b: {c: y}}
//	i3  banana     2    30  [yellow]          {b: {}}
//	i4  blueberry  1    40  [blue, red]       -
//	i5  cherry     3    50  []                {b: {c: x}}
//	i6  avocado    2    20  -                 {b: {c: z}}
func seedQueryItems(t *testing.T, c *azcosmos.ContainerClient) azcosmos.PartitionKey {
	t.Helper()
	ctx := context.Background()
	abc := func(c string) map[string]any { return map[string]any{"b": map[string]any{"c": c}} }
	items := []struct {
		id    string
		extra map[string]any
	}{
		{"i1", map[string]any{"name": "apple", "grp": 2, "n": 10, "tags": []string{"red", "green"}, "a": abc("x")}},
		{"i2", map[string]any{"name": "apricot", "grp": 1, "n": 20, "tags": []string{"green"}, "a": abc("y")}},
		{"i3", map[string]any{"name": "banana", "grp": 2, "n": 30, "tags": []string{"yellow"}, "a": map[string]any{"b": map[string]any{}}}},
		{"i4", map[string]any{"name": "blueberry", "grp": 1, "n": 40, "tags": []string{"blue", "red"}}},
		{"i5", map[string]any{"name": "cherry", "grp": 3, "n": 50, "tags": []string{}, "a": abc("x")}},
		{"i6", map[string]any{"name": "avocado", "grp": 2, "n": 20, "a": abc("z")}},
	}
	pk := azcosmos.NewPartitionKeyString("s")
	for _, it := range items {
		if _, err := c.CreateItem(ctx, pk, Item(it.id, "s", it.extra), nil); err != nil {
			t.Fatal(err)
		}
	}
	leak := map[string]any{"name": "apple", "grp": 1, "n": 10, "tags": []string{"red", "green", "yellow"}, "a": abc("x")}
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("other"), Item("x1", "other", leak), nil); err != nil {
		t.Fatal(err)
	}
	return pk
}

// orderByTwoFields is the indexing policy the ORDER BY queries of two fields
// above need on Cosmos DB, which serves them from composite indexes only
// (an index serves its own order and the exact reverse). The embedded server
// needs none and keeps it as sent.
var orderByTwoFields = &azcosmos.IndexingPolicy{
	Automatic: true, IndexingMode: azcosmos.IndexingModeConsistent,
	IncludedPaths: []azcosmos.IncludedPath{{Path: "/*"}},
	ExcludedPaths: []azcosmos.ExcludedPath{{Path: `/"_etag"/?`}},
	CompositeIndexes: [][]azcosmos.CompositeIndex{
		{{Path: "/grp", Order: azcosmos.CompositeIndexAscending}, {Path: "/n", Order: azcosmos.CompositeIndexDescending}},
		{{Path: "/grp", Order: azcosmos.CompositeIndexDescending}, {Path: "/name", Order: azcosmos.CompositeIndexAscending}},
		{{Path: "/n", Order: azcosmos.CompositeIndexAscending}, {Path: "/name", Order: azcosmos.CompositeIndexDescending}},
		{{Path: "/n", Order: azcosmos.CompositeIndexDescending}, {Path: "/name", Order: azcosmos.CompositeIndexDescending}},
	},
}
