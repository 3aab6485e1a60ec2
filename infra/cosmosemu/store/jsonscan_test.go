package store

import (
	"encoding/json"
	"testing"
)

// FuzzScanObject checks the write path's parser against encoding/json: it
// accepts exactly the JSON objects encoding/json accepts, and finds the same
// top-level members.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"id":"a","pk":1}`, `{"a":[1,2,{"b":null}],"c":"\u00e9\n"}`, `[]`, `{"a":}`,
		`{"a":1e5,"b":-0.5,"c":true,"d":false}`, `{"a":01}`, `{"\u0041":1}`, ` {"a" : "b" } `, `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		members, err := scanObject(b)
		var want map[string]json.RawMessage
		werr := json.Unmarshal(b, &want)
		if werr == nil && want == nil {
			werr = errNotObject // "null" decodes into a nil map
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("scanObject(%q) error %v, encoding/json error %v", b, err, werr)
		}
		if err != nil {
			return
		}
		got := map[string]string{}
		for _, m := range members {
			got[m.key] = string(m.raw)
		}
		if len(got) != len(want) {
			t.Fatalf("members %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != string(v) {
				t.Fatalf("member %q = %s, want %s", k, got[k], v)
			}
		}
	})
}
