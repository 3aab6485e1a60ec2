package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
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

// FuzzDecode: no input panics or hangs the decoder; what it accepts,
// encoding/json reads as the same documents, and what it refuses as
// malformed, encoding/json refuses too.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"Data":{"documents":"\"[{}]\""}}`, `{"Data":{"documents":[{},{}]}}`, `{"Data":{"documents":"[1"}}`,
		`{"Data":{"documents":"\"[\\u00zz]\""}}`, `{"Data":{"documents":"\"[{\\\"a\\\":\\\"\\\\ud800\\\"}]\""}}`,
		`{"Data":{"x":1,"documents":[{}]},"Metadata":{"sys":{}}}`, `{"Data":{"documents":[{}]} , "m":[1,{"a":"]"}]}`,
		`{"Data":{"documents":[{}]},"data":5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := protocol.DecodeRequest(body, "documents", protocol.Limits{MaxDepth: 20, MaxDocuments: 50})
		want, ok := oracle(body)
		if err != nil {
			var de *protocol.DecodeError
			if errors.As(err, &de) && de.Rule == protocol.RuleMalformed && ok {
				t.Fatalf("refused as malformed what encoding/json reads: %v", err)
			}
			return
		}
		if !ok || len(want) != len(req.Documents) {
			t.Fatalf("accepted %d documents; encoding/json reads %d (ok %v)", len(req.Documents), len(want), ok)
		}
		for i := range want {
			if !bytes.Equal(want[i], req.Documents[i]) {
				t.Fatalf("document %d: encoding/json %q, decoder %q", i, want[i], req.Documents[i])
			}
		}
	})
}

// oracle decodes a request with encoding/json alone: the binding matched
// exactly or else in any case, up to two levels of string encoding, an
// array of objects.
func oracle(body []byte) ([]json.RawMessage, bool) {
	var env struct {
		Data     map[string]json.RawMessage
		Metadata json.RawMessage
	}
	if json.Unmarshal(body, &env) != nil {
		return nil, false
	}
	raw, found := env.Data["documents"]
	for k, v := range env.Data {
		if !found && strings.EqualFold(k, "documents") {
			raw, found = v, true
		}
	}
	for range 2 {
		var s string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			break
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	var docs []json.RawMessage
	if !found || len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &docs) != nil {
		return nil, false
	}
	for _, d := range docs {
		if d[0] != '{' {
			return nil, false
		}
	}
	return docs, true
}
