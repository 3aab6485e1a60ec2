package cosmossql_test

import (
	"encoding/json"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

// fuzzParams supplies every parameter name the seed corpus uses, plus values
// of every JSON type, so that fuzzed queries get past the parameter check and
// into evaluation.
var fuzzParams = map[string]any{
	"@pk": "a", "@min": 1.0, "@n": 2.0, "@o": 1.0, "@l": 2.0, "@prop": "s",
	"@ids": []any{"2", "5"}, "@o2": map[string]any{"a": 5.0}, "@p": nil,
	"@b": true, "@skip": "3", "@lo": 0.0, "@hi": 10.0, "@c": "x",
}

// FuzzParse checks that Parse and Run never panic on any input and that every
// error they return is a *cosmossql.Error.
func FuzzParse(f *testing.F) {
	for _, tc := range evalCases {
		f.Add(tc.query)
	}
	for _, s := range []string{
		`SELECT * FROM c WHERE c.id = @id`,
		`SELECT VALUE (((((1)))))`,
		`SELECT c.a, COUNT(1) FROM c GROUP BY c.a`,
		`SELECT * FROM c ORDER BY c.a.b[0] DESC, c["x"]`,
		`SELECT TOP @n VALUE c.n / @lo FROM c`,
		"SELECT '\\ud800' -- x\n",
		`SELECT VALUE {"a": [1, {b: c}], c: @o2.a ?? 1} FROM c`,
		`SELECT VALUE ` + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300),
		`SELECT * FROM c WHERE ` + strings.Repeat("NOT ", 300) + "true",
		`SELECT VALUE '` + strings.Repeat(`\ud83d`, 10) + `'`,
	} {
		f.Add(s)
	}
	docs := fixtureDocs(f)
	f.Fuzz(func(t *testing.T, query string) {
		q, err := cosmossql.Parse(query)
		if err != nil {
			asQueryError(t, err)
			return
		}
		_ = q.CrossPartitionBlocker()
		_, _ = q.CrossPartitionRefusal()
		_, _ = q.PartitionKeyValues([]string{"/pk", "/a/b"}, fuzzParams)
		for _, params := range []map[string]any{fuzzParams, nil} {
			res, err := q.Run(docs, params)
			if err != nil {
				asQueryError(t, err)
				continue
			}
			if err := checkNoUndefined(res); err != nil {
				t.Fatalf("%q: %v", query, err)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("%q: results do not marshal: %v", query, err)
			}
		}
	})
}
