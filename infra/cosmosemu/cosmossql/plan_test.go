package cosmossql_test

import (
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

// perRange is the query a planning client sends to each partition key
// range: the rewritten query with the resume filter "true", or the query.
func perRange(t testing.TB, q *cosmossql.Query, params map[string]any) (string, *cosmossql.Plan) {
	t.Helper()
	p, err := q.Plan(params, []string{"/pk"})
	if err != nil {
		t.Fatalf("plan %q: %v", q, err)
	}
	if p.RewrittenQuery == "" {
		return q.String(), p
	}
	return strings.ReplaceAll(p.RewrittenQuery, cosmossql.OrderByFilter, "true"), p
}

// TestOrderByRewriteKeepsResults: on one partition, the payloads of the
// rewritten ORDER BY query are the original query's results, in order, and
// each row carries its _rid and sort keys. The canonical spelling of every
// kind of expression must therefore parse back to the same meaning.
func TestOrderByRewriteKeepsResults(t *testing.T) {
	t.Parallel()
	docs := fixtureDocs(t)
	for _, d := range docs {
		d.(map[string]any)["_rid"] = "rid-" + d.(map[string]any)["id"].(string)
	}
	params := map[string]any{"@min": 1.0, "@name": "s", "@n": 3.0}
	for _, query := range []string{
		`SELECT * FROM c ORDER BY c.id`,
		`SELECT VALUE c.s FROM c WHERE IS_STRING(c.s) AND c.s != "Date" ORDER BY c.s DESC`,
		`SELECT c.id, c["n"] AS num, c.nested.v FROM c WHERE c.n >= @min OR c.b = true ORDER BY c.id DESC`,
		`SELECT TOP @n c.id FROM c WHERE c.id IN ("1", "3", "5") OR c.n BETWEEN 2 AND 4 ORDER BY c.id`,
		`SELECT c.id, c[@name] AS v FROM root c WHERE NOT (c.n > 2) ORDER BY c.id ASC`,
		`SELECT VALUE {"id": c.id, "t": [c.tags[0], -c.n, c.n * 2 + 1]} FROM c WHERE c.nul ?? true ORDER BY c.id`,
		`SELECT c.id FROM c WHERE STARTSWITH(c.s, 'a') AND LOWER(c.s) = "apple" || "" ORDER BY c.id`,
		`SELECT VALUE 'it\'s' FROM c WHERE c.s = "a\"b\\c" OR c.id = "\u0031" ORDER BY c.id`,
		`SELECT c.id FROM c ORDER BY c.n, c.id DESC`,
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			q, err := cosmossql.Parse(query)
			if err != nil {
				t.Fatal(err)
			}
			want, err := q.Run(docs, params)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := perRange(t, q, params)
			rq, err := cosmossql.Parse(text)
			if err != nil {
				t.Fatalf("rewritten %q does not parse: %v", text, err)
			}
			rows, err := rq.Run(docs, params)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]any, len(rows))
			for i, r := range rows {
				m := r.(map[string]any)
				if _, ok := m["_rid"]; !ok || m["orderByItems"] == nil {
					t.Fatalf("row %v lacks _rid or orderByItems", m)
				}
				got[i] = m["payload"]
			}
			if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
				t.Fatalf("rewritten %q\n got  %s\n want %s", text, g, w)
			}
		})
	}
}

// TestAggregateRewritesParse: the aggregate and GROUP BY rewrites are
// queries the server runs; a VALUE COUNT's partial on one partition is the
// count itself.
func TestAggregateRewritesParse(t *testing.T) {
	t.Parallel()
	docs := fixtureDocs(t)
	for _, query := range []string{
		`SELECT VALUE COUNT(1) FROM c WHERE c.n > 1`,
		`SELECT VALUE AVG(c.n) FROM c`,
		`SELECT MIN(c.n) AS lo, MAX(c.s) AS hi, SUM(c.n), COUNT(c.id) AS n FROM c`,
		`SELECT c.pk, COUNT(1) AS n, AVG(c.n) AS mean FROM c GROUP BY c.pk`,
		`SELECT VALUE MAX(c.n) FROM c GROUP BY c.pk`,
		`SELECT DISTINCT TOP 2 VALUE c.pk FROM c`,
		`SELECT * FROM c OFFSET 1 LIMIT 2`,
	} {
		q, err := cosmossql.Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := perRange(t, q, nil)
		rq, err := cosmossql.Parse(text)
		if err != nil {
			t.Fatalf("%s: rewritten %q does not parse: %v", query, text, err)
		}
		if _, err := rq.Run(docs, nil); err != nil {
			t.Fatalf("%s: rewritten %q: %v", query, text, err)
		}
	}
	q, _ := cosmossql.Parse(`SELECT VALUE COUNT(1) FROM c WHERE c.n > 1`)
	text, _ := perRange(t, q, nil)
	rq, _ := cosmossql.Parse(text)
	rows, _ := rq.Run(docs, nil)
	if got := mustJSON(t, rows); got != `[[{"item":3}]]` {
		t.Fatalf("partial count %s, want [[{\"item\":3}]]", got)
	}
}

// TestPlanRefusesNestedAggregates: an aggregate inside a larger expression
// cannot be combined across partitions.
func TestPlanRefusesNestedAggregates(t *testing.T) {
	t.Parallel()
	for _, query := range []string{`SELECT VALUE COUNT(1) + 1 FROM c`, `SELECT {"n": COUNT(1)} AS x FROM c`} {
		q, err := cosmossql.Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.Plan(nil, []string{"/pk"}); err == nil || !strings.Contains(err.Error(), "Compositions of aggregates") {
			t.Fatalf("%s: want the composition refusal, got %v", query, err)
		}
	}
}

// FuzzPlan checks that planning never panics and that every rewritten
// query parses.
func FuzzPlan(f *testing.F) {
	for _, tc := range evalCases {
		f.Add(tc.query)
	}
	f.Add(`SELECT c["a b"], c.x[1], {"k": c.y} AS o FROM root c WHERE c.z IN (@p, 'q') ORDER BY c.m DESC`)
	f.Fuzz(func(t *testing.T, query string) {
		q, err := cosmossql.Parse(query)
		if err != nil {
			return
		}
		p, err := q.Plan(fuzzParams, []string{"/pk"})
		if err != nil {
			asQueryError(t, err)
			return
		}
		if p.RewrittenQuery == "" {
			return
		}
		text := strings.ReplaceAll(p.RewrittenQuery, cosmossql.OrderByFilter, "true")
		if _, err := cosmossql.Parse(text); err != nil {
			t.Fatalf("%q: rewritten %q does not parse: %v", query, text, err)
		}
	})
}

// TestDescendingTiesComeInReverseCreationOrder: ties keep creation order
// under an ascending first key and reverse it under a descending one, the
// _rid order the SDKs expect when they resume an ORDER BY.
func TestDescendingTiesComeInReverseCreationOrder(t *testing.T) {
	t.Parallel()
	docs := fixtureDocs(t)
	for query, want := range map[string]string{
		`SELECT VALUE c.id FROM c WHERE c.pk = "c" ORDER BY c.pk`:             `["5","6","7"]`,
		`SELECT VALUE c.id FROM c WHERE c.pk = "c" ORDER BY c.pk DESC`:        `["7","6","5"]`,
		`SELECT VALUE c.id FROM c WHERE c.pk >= "c" ORDER BY c.pk DESC, c.id`: `["8","5","6","7"]`,
	} {
		q, err := cosmossql.Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := q.Run(docs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if g := mustJSON(t, got); g != want {
			t.Errorf("%s: %s, want %s", query, g, want)
		}
	}
}
