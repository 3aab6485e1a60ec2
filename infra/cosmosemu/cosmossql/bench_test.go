package cosmossql_test

import (
	"strconv"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

// BenchmarkRunFilter measures a typical WHERE filter with parameters over a
// partition of 1,000 documents.
func BenchmarkRunFilter(b *testing.B) {
	categories := []string{"books", "games", "music", "tools"}
	docs := make([]any, 1000)
	for i := range docs {
		docs[i] = map[string]any{
			"id":       strconv.Itoa(i),
			"pk":       "tenant-1",
			"category": categories[i%len(categories)],
			"price":    float64(i % 100),
			"tags":     []any{"a", "b", strconv.Itoa(i % 7)},
			"address":  map[string]any{"city": "Oslo", "zip": strconv.Itoa(1000 + i%50)},
		}
	}
	q, err := cosmossql.Parse(`SELECT c.id, c.price FROM c WHERE c.category = @cat AND c.price >= @min AND ARRAY_CONTAINS(c.tags, '3') AND STARTSWITH(c.address.zip, '10')`)
	if err != nil {
		b.Fatal(err)
	}
	params := map[string]any{"@cat": "games", "@min": 10.0}
	b.ReportAllocs()
	for b.Loop() {
		res, err := q.Run(docs, params)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) == 0 {
			b.Fatal("no results")
		}
	}
}
