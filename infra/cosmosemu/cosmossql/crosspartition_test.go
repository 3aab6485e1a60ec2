package cosmossql_test

import (
	"reflect"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

func TestCrossPartitionBlocker(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query, want string
	}{
		{"star", `SELECT * FROM c`, ""},
		{"filter and projection", `SELECT c.id, c.n * 2 AS d FROM c WHERE c.n > 1 AND STARTSWITH(c.s, 'a')`, ""},
		{"value with function", `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.tags, 'x')`, ""},
		{"IN filter", `SELECT * FROM c WHERE c.pk IN ('a', 'b')`, ""},
		{"TOP", `SELECT TOP 1 * FROM c`, "TOP"},
		{"TOP parameter", `SELECT TOP @n * FROM c`, "TOP"},
		{"ORDER BY", `SELECT * FROM c ORDER BY c.id`, "ORDER BY"},
		{"OFFSET LIMIT", `SELECT * FROM c OFFSET 0 LIMIT 1`, "OFFSET LIMIT"},
		{"DISTINCT", `SELECT DISTINCT VALUE c.pk FROM c`, "DISTINCT"},
		{"VALUE aggregate", `SELECT VALUE COUNT(1) FROM c`, "aggregate functions"},
		{"aggregate", `SELECT MAX(c.n) AS m FROM c`, "aggregate functions"},
		{"GROUP BY with aggregate", `SELECT c.pk, COUNT(1) AS n FROM c GROUP BY c.pk`, "aggregate functions, GROUP BY"},
		{"GROUP BY alone", `SELECT VALUE c.pk FROM c GROUP BY c.pk`, "GROUP BY"},
		{"several", `SELECT DISTINCT TOP 1 VALUE c.id FROM c ORDER BY c.id`, "TOP, DISTINCT, ORDER BY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := cosmossql.Parse(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.CrossPartitionBlocker(); got != tc.want {
				t.Errorf("CrossPartitionBlocker(%q) = %q, want %q", tc.query, got, tc.want)
			}
		})
	}
}

func TestCrossPartitionRefusal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query   string
		wantMessage   string
		wantSubstatus int
	}{
		{"served", `SELECT * FROM c WHERE c.a = 1`, "", 0},
		{"VALUE COUNT", `SELECT VALUE COUNT(1) FROM c`, cosmossql.CrossPartitionMessage, cosmossql.CrossPartitionSubstatus},
		{"ORDER BY", `SELECT * FROM c ORDER BY c.id`, cosmossql.CrossPartitionMessage, cosmossql.CrossPartitionSubstatus},
		{"TOP", `SELECT TOP 3 * FROM c`, cosmossql.CrossPartitionMessage, cosmossql.CrossPartitionSubstatus},
		{"DISTINCT", `SELECT DISTINCT VALUE c.a FROM c`, cosmossql.CrossPartitionMessage, cosmossql.CrossPartitionSubstatus},
		{"OFFSET LIMIT", `SELECT * FROM c OFFSET 1 LIMIT 2`, cosmossql.CrossPartitionMessage, cosmossql.CrossPartitionSubstatus},
		{"GROUP BY without aggregate", `SELECT VALUE c.a FROM c GROUP BY c.a`, cosmossql.CrossPartitionMessage, cosmossql.CrossPartitionSubstatus},
		{"aggregate without VALUE", `SELECT COUNT(1) FROM c`, cosmossql.CrossPartitionAggregateMessage, 0},
		{"several aggregates", `SELECT MIN(c.a) AS lo, MAX(c.a) AS hi FROM c`, cosmossql.CrossPartitionAggregateMessage, 0},
		{"composite VALUE aggregate", `SELECT VALUE COUNT(1) + 1 FROM c`, cosmossql.CrossPartitionAggregateMessage, 0},
		{"GROUP BY with aggregate", `SELECT c.a, COUNT(1) AS n FROM c GROUP BY c.a`, cosmossql.CrossPartitionAggregateMessage, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := cosmossql.Parse(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			msg, sub := q.CrossPartitionRefusal()
			if msg != tc.wantMessage || sub != tc.wantSubstatus {
				t.Errorf("CrossPartitionRefusal(%q) = (%q, %d), want (%q, %d)", tc.query, msg, sub, tc.wantMessage, tc.wantSubstatus)
			}
		})
	}
}

// TestCrossPartitionMessageText pins the part of the gateway text that SDKs
// and the azcosmos tests match on.
func TestCrossPartitionMessageText(t *testing.T) {
	t.Parallel()
	if !strings.Contains(cosmossql.CrossPartitionMessage, "cross partition query can not be directly served by the gateway") {
		t.Fatalf("CrossPartitionMessage lost the text clients match: %q", cosmossql.CrossPartitionMessage)
	}
	if cosmossql.CrossPartitionSubstatus != 1004 {
		t.Fatalf("CrossPartitionSubstatus = %d", cosmossql.CrossPartitionSubstatus)
	}
}

func TestPartitionKeyValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		query  string
		paths  []string
		params map[string]any
		want   []any
		ok     bool
	}{
		{"equality", `SELECT * FROM c WHERE c.pk = '1' ORDER BY c.id`, []string{"/pk"}, nil, []any{"1"}, true},
		{"reversed", `SELECT * FROM c WHERE '1' = c.pk`, []string{"/pk"}, nil, []any{"1"}, true},
		{"with other terms", `SELECT * FROM c WHERE c.n > 1 AND c.pk = @pk`, []string{"/pk"}, map[string]any{"@pk": "x"}, []any{"x"}, true},
		{"number", `SELECT * FROM c WHERE c.pk = 5`, []string{"/pk"}, nil, []any{5.0}, true},
		{"nested path", `SELECT * FROM c WHERE c.a.b = true`, []string{"/a/b"}, nil, []any{true}, true},
		{"bracket path", `SELECT * FROM c WHERE c["pk"] = null`, []string{"/pk"}, nil, []any{nil}, true},
		{"hierarchical", `SELECT * FROM c WHERE c.parent = 'p1' AND c.child = 'c2'`, []string{"/parent", "/child"}, nil, []any{"p1", "c2"}, true},
		{"hierarchical prefix only", `SELECT * FROM c WHERE c.parent = 'p1'`, []string{"/parent", "/child"}, nil, nil, false},
		{"OR", `SELECT * FROM c WHERE c.pk = '1' OR c.pk = '2'`, []string{"/pk"}, nil, nil, false},
		{"contradiction", `SELECT * FROM c WHERE c.pk = '1' AND c.pk = '2'`, []string{"/pk"}, nil, nil, false},
		{"repeated", `SELECT * FROM c WHERE c.pk = '1' AND c.pk = '1'`, []string{"/pk"}, nil, []any{"1"}, true},
		{"no WHERE", `SELECT * FROM c`, []string{"/pk"}, nil, nil, false},
		{"other property", `SELECT * FROM c WHERE c.id = '1'`, []string{"/pk"}, nil, nil, false},
		{"not a constant", `SELECT * FROM c WHERE c.pk = c.other`, []string{"/pk"}, nil, nil, false},
		{"missing parameter", `SELECT * FROM c WHERE c.pk = @pk`, []string{"/pk"}, nil, nil, false},
		{"other alias", `SELECT * FROM root r WHERE r.pk = 'x'`, []string{"/pk"}, nil, []any{"x"}, true},
		{"quoted path segment", `SELECT * FROM c WHERE c["a b"] = 1`, []string{`/"a b"`}, nil, []any{1.0}, true},
		{"empty path", `SELECT * FROM c WHERE c.pk = 1`, []string{"/"}, nil, nil, false},
		{"inequality", `SELECT * FROM c WHERE c.pk != 'x'`, []string{"/pk"}, nil, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := cosmossql.Parse(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := q.PartitionKeyValues(tc.paths, tc.params)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PartitionKeyValues(%q, %v) = (%v, %v), want (%v, %v)", tc.query, tc.paths, got, ok, tc.want, tc.ok)
			}
		})
	}
}
