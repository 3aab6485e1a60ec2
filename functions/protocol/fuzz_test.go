package protocol_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"orderctx/functions/protocol"
)

// FuzzRoundTrip: whatever documents funchost sends, the handler receives
// the same bytes, and the body is what encoding/json reads the same way.
// (Documents are UTF-8; invalid bytes would arrive as U+FFFD, as through
// the real host, whose strings are UTF-16.)
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":"\"\\\n\u0001é\u2028"}`, `{"a":[1,{"b":null}],"c":"]},["}`, `{"x":"\ud83d\ude00 \ud800"}`} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var docs []json.RawMessage
		for _, s := range []string{a, b} {
			var v map[string]any
			if json.Unmarshal([]byte(s), &v) != nil || v == nil || !utf8.ValidString(s) {
				return
			}
			docs = append(docs, json.RawMessage(bytes.TrimSpace([]byte(s))))
		}
		body := protocol.AppendRequest(nil, "documents", docs, &protocol.Metadata{Sys: protocol.Sys{UtcNow: time.Unix(0, 0)}})
		req, err := protocol.DecodeRequest(body, "documents", protocol.Limits{MaxDepth: 10_000})
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		for i := range docs {
			if !bytes.Equal(req.Documents[i], docs[i]) {
				t.Fatalf("document %d: got %s want %s", i, req.Documents[i], docs[i])
			}
		}
		// An independent decoder sees the same: a string holding a string
		// holding the array.
		var env struct{ Data map[string]string }
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := json.Unmarshal([]byte(env.Data["documents"]), &inner); err != nil {
			t.Fatal(err)
		}
		var arr []json.RawMessage
		if err := json.Unmarshal([]byte(inner), &arr); err != nil || len(arr) != len(docs) {
			t.Fatalf("%q: %v", inner, err)
		}
	})
}

// FuzzDecode: no input panics or hangs the decoder, and what it accepts is
// valid JSON objects.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"Data":{"documents":"\"[{}]\""}}`, `{"Data":{"documents":[{},{}]}}`, `{"Data":{"documents":"[1"}}`,
		`{"Data":{"documents":"\"[\\u00zz]\""}}`, `{"Data":{"documents":"\"[{\\\"a\\\":\\\"\\\\ud800\\\"}]\""}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := protocol.DecodeRequest(body, "documents", protocol.Limits{MaxDepth: 20, MaxDocuments: 50})
		if err != nil {
			return
		}
		for _, d := range req.Documents {
			var v map[string]any
			if json.Unmarshal(d, &v) != nil {
				t.Fatalf("accepted a document that is not a JSON object: %s", d)
			}
		}
		// encoding/json, unwrapping the same levels, reads the same documents.
		var env struct{ Data map[string]json.RawMessage }
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		raw, ok := env.Data["documents"]
		for k, v := range env.Data {
			if !ok && strings.EqualFold(k, "documents") {
				raw, ok = v, true
			}
		}
		for range req.Encoding {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			raw = []byte(s)
		}
		var want []json.RawMessage
		if err := json.Unmarshal(raw, &want); err != nil || len(want) != len(req.Documents) {
			t.Fatalf("encoding/json reads %d documents (%v), the decoder %d", len(want), err, len(req.Documents))
		}
		for i := range want {
			if !bytes.Equal(want[i], req.Documents[i]) {
				t.Fatalf("document %d: encoding/json %q, decoder %q", i, want[i], req.Documents[i])
			}
		}
	})
}
