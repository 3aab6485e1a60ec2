package cosmossql_test

import (
	"runtime"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

// deepQueries fill MaxQueryLength with each construct the parser nests.
func deepQueries() map[string]string {
	fill := func(prefix, unit, suffix string) string {
		n := (cosmossql.MaxQueryLength - len(prefix) - len(suffix)) / len(unit)
		return prefix + strings.Repeat(unit, n) + suffix
	}
	return map[string]string{
		"parentheses":      fill("SELECT VALUE ", "(", "1"),
		"arrays":           fill("SELECT VALUE ", "[", ""),
		"objects":          fill("SELECT VALUE ", "{a:", "1"),
		"unary minus":      fill("SELECT VALUE ", "- ", "1"),
		"NOT":              fill("SELECT VALUE ", "NOT ", "true"),
		"arithmetic chain": fill("SELECT VALUE 1", " + 1", ""),
		"member chain":     fill("SELECT VALUE c", ".a", " FROM c"),
	}
}

// TestDeepQueriesCostLittleMemory is not parallel: it reads the process's
// allocation counter. The parser holds two tokens at a time, so a query at
// the length limit is refused at MaxNesting having allocated little: what
// remains is a few bytes per identifier while the rest of the query is
// checked for lexical errors, about 2 MB for a member chain (twice that under
// the race detector). Reading it into a token slice first cost 160 MB.
func TestDeepQueriesCostLittleMemory(t *testing.T) {
	for name, q := range deepQueries() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := cosmossql.Parse(q)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("%s: %v, want nested too deeply", name, err)
		}
		if used := after.TotalAlloc - before.TotalAlloc; used > 8<<20 {
			t.Errorf("%s (%d bytes): allocated %d bytes", name, len(q), used)
		}
	}
}

// TestLexicalErrorsWinOverSyntaxErrors keeps the order of complaints of a
// parser that lexed the whole query first.
func TestLexicalErrorsWinOverSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`SELECT VALUE ` + strings.Repeat("(", 300) + "1 /* x */": "block comments",
		`SELECT * FROM c WHERE ) 'unterminated`:                  "unterminated string",
		`SELECT * FROM c WHERE c.a = 1 #`:                        "unexpected character",
		`SELECT * FROM c /* x */`:                                "block comments",
	}
	for q, want := range tests {
		if _, err := cosmossql.Parse(q); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.60q) = %v, want %q", q, err, want)
		}
	}
}

// BenchmarkParseDeep reports what refusing a query at the length limit that
// nests beyond MaxNesting costs (B/op), per construct.
func BenchmarkParseDeep(b *testing.B) {
	for name, q := range deepQueries() {
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(q)))
			for b.Loop() {
				if _, err := cosmossql.Parse(q); err == nil {
					b.Fatal("parsed")
				}
			}
		})
	}
}
