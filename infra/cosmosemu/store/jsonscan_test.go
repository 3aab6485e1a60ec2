package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/jsondepth"
)

// FuzzScanObject checks the write path's parser against encoding/json: it
// accepts exactly the JSON objects encoding/json accepts that nest at most
// jsondepth.Max levels, and finds the same top-level members.
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
		if werr == nil && jsondepth.Exceeds(b, jsondepth.Max) {
			if !errors.Is(err, errTooDeep) {
				t.Fatalf("scanObject(%.80q) error %v, want %v", b, err, errTooDeep)
			}
			return
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

func TestScanObjectDepth(t *testing.T) {
	t.Parallel()
	// nesting is an object whose member holds arrays, n levels in all.
	nesting := func(n int) []byte {
		return []byte(`{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`)
	}
	tests := []struct {
		name string
		body []byte
		err  error
	}{
		{"at the limit", nesting(jsondepth.Max), nil},
		{"one level deeper", nesting(jsondepth.Max + 1), errTooDeep},
		{"objects one level deeper", []byte(strings.Repeat(`{"a":`, jsondepth.Max) + `{}` + strings.Repeat("}", jsondepth.Max)), errTooDeep},
		{"1,000,000 levels", nesting(1_000_000), errTooDeep},
		{"1,000,000 unclosed levels", []byte(`{"a":` + strings.Repeat("[", 1_000_000)), errTooDeep},
		{"brackets in strings do not count", []byte(`{"a":"` + strings.Repeat("[", 1000) + `"}`), nil},
	}
	for _, tc := range tests {
		if _, err := scanObject(tc.body); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
	if !strings.Contains(errTooDeep.Error(), "128") {
		t.Errorf("the refusal %q does not name the limit", errTooDeep)
	}
}
