package cosmossql_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

// fixtureJSON is the fixed document set of the evaluation tests. It covers
// every JSON type, missing properties (undefined), and mixed types under one
// name (mixed, n) to exercise cross-type comparison and ordering.
const fixtureJSON = `[
 {"id":"1","pk":"a","n":1,"s":"apple","b":true,"tags":["x","y"],"nested":{"v":10,"w":"p"},
  "items":[{"k":1,"name":"one"},{"k":2}],"nul":null,"mixed":1},
 {"id":"2","pk":"a","n":2,"s":"Banana","b":false,"tags":["y"],"nested":{"v":20},"items":[],"mixed":"two"},
 {"id":"3","pk":"b","n":3,"s":"cherry","tags":[],"nested":{"v":30,"w":"q"},"mixed":true,"nul":null},
 {"id":"4","pk":"b","n":4.5,"s":"apple pie","b":true,"mixed":null},
 {"id":"5","pk":"c","s":"Date","mixed":[1,2]},
 {"id":"6","pk":"c","n":-1},
 {"id":"7","pk":"c","n":"7","mixed":false},
 {"id":"8","pk":"d","mixed":{"o":1},"value":"kw"}
]`

// fixtureDocs decodes a fresh copy of the fixture so tests cannot affect one
// another.
func fixtureDocs(t testing.TB) []any {
	t.Helper()
	var docs []any
	if err := json.Unmarshal([]byte(fixtureJSON), &docs); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return docs
}

// canonicalJSON re-encodes a JSON text so that two equal values compare
// equal as strings (encoding/json sorts object keys).
func canonicalJSON(t testing.TB, text string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("bad expected JSON %s: %v", text, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// runQuery parses and runs a query over the fixture and returns the results
// as JSON text.
func runQuery(t testing.TB, query string, params map[string]any) (string, error) {
	t.Helper()
	q, err := cosmossql.Parse(query)
	if err != nil {
		return "", err
	}
	res, err := q.Run(fixtureDocs(t), params)
	if err != nil {
		return "", err
	}
	if err := checkNoUndefined(res); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("%s: results do not marshal: %v", query, err)
	}
	return string(b), nil
}

// checkNoUndefined fails when an internal undefined value leaked into a
// result, where only JSON values may appear.
func checkNoUndefined(v any) error {
	switch x := v.(type) {
	case nil, bool, float64, string:
		return nil
	case []any:
		for _, e := range x {
			if err := checkNoUndefined(e); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, e := range x {
			if err := checkNoUndefined(e); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("non-JSON value %T (%v) in results", v, v)
}

// asQueryError asserts that err is a *cosmossql.Error and returns it.
func asQueryError(t testing.TB, err error) *cosmossql.Error {
	t.Helper()
	var qe *cosmossql.Error
	if !errors.As(err, &qe) {
		t.Fatalf("error %v (%T) is not a *cosmossql.Error", err, err)
	}
	return qe
}

// marshal encodes v as JSON, failing the test when it cannot.
func marshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}
