package cosmossql_test

import (
	"slices"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

func TestIDValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		query  string
		params map[string]any
		want   []string
		ok     bool
	}{
		{"equality", "SELECT * FROM c WHERE c.id = 'a'", nil, []string{"a"}, true},
		{"reversed", "SELECT * FROM c WHERE 'a' = c.id", nil, []string{"a"}, true},
		{"parameter", "SELECT * FROM c WHERE c.id = @id", map[string]any{"@id": "x"}, []string{"x"}, true},
		{"in list", "SELECT * FROM c WHERE c.id IN ('a', 'b') AND c.v > 1", nil, []string{"a", "b"}, true},
		{"in with parameters", "SELECT * FROM c WHERE c.id IN (@a, @b)", map[string]any{"@a": "1", "@b": "2"}, []string{"1", "2"}, true},
		{"number id matches nothing", "SELECT * FROM c WHERE c.id = 1", nil, []string{}, true},
		{"or is not pinned", "SELECT * FROM c WHERE c.id = 'a' OR c.x = 1", nil, nil, false},
		{"not in", "SELECT * FROM c WHERE c.id NOT IN ('a')", nil, nil, false},
		{"other field", "SELECT * FROM c WHERE c.pk = 'a'", nil, nil, false},
		{"no where", "SELECT * FROM c", nil, nil, false},
		{"missing parameter", "SELECT * FROM c WHERE c.id = @nope", nil, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := cosmossql.Parse(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := q.IDValues(tc.params)
			if ok != tc.ok || !slices.Equal(got, tc.want) {
				t.Fatalf("IDValues = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFullTextContains(t *testing.T) {
	t.Parallel()
	docs := []any{
		map[string]any{"id": "1", "t": "Full-text SEARCH in Cosmos DB"},
		map[string]any{"id": "2", "t": "searching is not search-free"},
		map[string]any{"id": "3", "t": "nothing here"},
	}
	cases := []struct {
		query string
		want  []string
	}{
		{`SELECT VALUE c.id FROM c WHERE FullTextContains(c.t, "search")`, []string{"1", "2"}},
		{`SELECT VALUE c.id FROM c WHERE FullTextContainsAll(c.t, "cosmos", "full")`, []string{"1"}},
		{`SELECT VALUE c.id FROM c WHERE FullTextContainsAny(c.t, "nothing", "db")`, []string{"1", "3"}},
		{`SELECT VALUE c.id FROM c WHERE FullTextContains(c.missing, "x")`, nil},
	}
	for _, tc := range cases {
		q, err := cosmossql.Parse(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := q.Run(docs, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.(string))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.query, got, tc.want)
		}
	}
}
