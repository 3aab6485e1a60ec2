package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"orderctx/functions/protocol"
)

// hostRequest is the body the Functions host sends for a batch of two
// documents, in the shape captured from a real host (documents
// double-encoded; see docs/functions.md), built with another encoder.
func hostRequest(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/host-request.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantDocuments are the documents of hostRequest, one per line, exactly as
// the consumer must receive them.
func wantDocuments(t testing.TB) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/documents.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var docs []json.RawMessage
	for line := range bytes.Lines(b) {
		docs = append(docs, json.RawMessage(bytes.TrimSpace(line)))
	}
	return docs
}

func sameDocuments(t *testing.T, got, want []json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d documents, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("document %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestDecodeHostRequest(t *testing.T) {
	t.Parallel()
	req, err := protocol.DecodeRequest(hostRequest(t), "documents", protocol.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if req.Encoding != protocol.Double {
		t.Errorf("encoding %d, want double", req.Encoding)
	}
	sameDocuments(t, req.Documents, wantDocuments(t))
	sys := req.Metadata.Sys
	if sys.MethodName != "ProjectOrders" || sys.RandGuid != "0d00378b-6426-4af1-9fc0-0793f4ce3745" ||
		!sys.UtcNow.Equal(time.Date(2025, 4, 9, 4, 46, 10, 723203000, time.UTC)) {
		t.Errorf("sys metadata %+v", sys)
	}
	if req.Metadata.RetryContext != nil || req.MetadataErr != nil {
		t.Errorf("retry context %+v, metadata error %v", req.Metadata.RetryContext, req.MetadataErr)
	}
}

func TestAppendRequestWritesWhatTheHostSends(t *testing.T) {
	t.Parallel()
	md := &protocol.Metadata{Sys: protocol.Sys{MethodName: "ProjectOrders",
		UtcNow: time.Date(2025, 4, 9, 4, 46, 10, 723203000, time.UTC), RandGuid: "0d00378b-6426-4af1-9fc0-0793f4ce3745"}}
	got := protocol.AppendRequest(nil, "documents", wantDocuments(t), md)
	if want := hostRequest(t); !bytes.Equal(got, want) {
		t.Fatalf("request differs from the host's:\n got %s\nwant %s", got, want)
	}
}

func TestDecodeAcceptsEveryEncoding(t *testing.T) {
	t.Parallel()
	docs := `[{"id":"a","n":"x\"y"} , {"id":"b","deep":[[{}]]}]`
	single, _ := json.Marshal(docs)
	double, _ := json.Marshal(string(single))
	cases := []struct {
		name, data, binding string
		want                protocol.Encoding
	}{
		{"double", string(double), "documents", protocol.Double},
		{"single", string(single), "documents", protocol.Single},
		{"plain", docs, "documents", protocol.Plain},
		{"plain with spaces", " \n" + docs + "\t", "documents", protocol.Plain},
		{"binding name in another case", string(double), "Documents", protocol.Double},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := `{"Data":{"documents":` + c.data + `},"Metadata":{}}`
			req, err := protocol.DecodeRequest([]byte(body), c.binding, protocol.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if req.Encoding != c.want {
				t.Errorf("encoding %d, want %d", req.Encoding, c.want)
			}
			sameDocuments(t, req.Documents, []json.RawMessage{json.RawMessage(`{"id":"a","n":"x\"y"}`), json.RawMessage(`{"id":"b","deep":[[{}]]}`)})
		})
	}
}

func TestDecodeEmptyBatch(t *testing.T) {
	t.Parallel()
	req, err := protocol.DecodeRequest([]byte(`{"Data":{"documents":"\"[]\""}}`), "documents", protocol.Limits{})
	if err != nil || len(req.Documents) != 0 {
		t.Fatalf("documents %v, err %v", req, err)
	}
}

func TestDecodeRetryContext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, metadata string
		want           protocol.RetryContext
	}{
		{"as the host writes it", `{"sys":{"MethodName":"ProjectOrders","UtcNow":"2025-04-09T04:46:10Z","RandGuid":"g"},
			"RetryContext":{"RetryCount":3,"MaxRetryCount":-1,"Exception":{"ClassName":"System.Net.Http.HttpRequestException",
			"Message":"Response status code does not indicate success: 500 (Internal Server Error).","Data":null,"InnerException":null,
			"HelpURL":null,"StackTraceString":"   at X","RemoteStackTraceString":null,"RemoteStackIndex":0,"HResult":-2146233088,
			"Source":"System.Net.Http","WatsonBuckets":null},"Instance":null}}`,
			protocol.RetryContext{RetryCount: 3, MaxRetryCount: -1, Exception: &protocol.Exception{ClassName: "System.Net.Http.HttpRequestException",
				Message: "Response status code does not indicate success: 500 (Internal Server Error).", Source: "System.Net.Http", StackTraceString: "   at X"}}},
		{"camel case, exception as text", `{"RetryContext":{"retryCount":1,"maxRetryCount":5,"exception":"boom"}}`,
			protocol.RetryContext{RetryCount: 1, MaxRetryCount: 5, Exception: &protocol.Exception{Message: "boom"}}},
		{"no exception", `{"RetryContext":{"RetryCount":2,"MaxRetryCount":2}}`, protocol.RetryContext{RetryCount: 2, MaxRetryCount: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := `{"Data":{"documents":"\"[{}]\""},"Metadata":` + c.metadata + `}`
			req, err := protocol.DecodeRequest([]byte(body), "documents", protocol.Limits{})
			if err != nil || req.MetadataErr != nil {
				t.Fatal(err, req.MetadataErr)
			}
			got := req.Metadata.RetryContext
			if got == nil || got.RetryCount != c.want.RetryCount || got.MaxRetryCount != c.want.MaxRetryCount {
				t.Fatalf("retry context %+v, want %+v", got, c.want)
			}
			if (got.Exception == nil) != (c.want.Exception == nil) || got.Exception != nil && *got.Exception != *c.want.Exception {
				t.Errorf("exception %+v, want %+v", got.Exception, c.want.Exception)
			}
		})
	}
}

func TestUnreadableMetadataDoesNotFailTheBatch(t *testing.T) {
	t.Parallel()
	req, err := protocol.DecodeRequest([]byte(`{"Data":{"documents":[{}]},"Metadata":{"sys":{"UtcNow":"yesterday"}}}`), "documents", protocol.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Documents) != 1 || req.MetadataErr == nil {
		t.Fatalf("documents %d, metadata error %v", len(req.Documents), req.MetadataErr)
	}
}

func TestDecodeChecks(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	cases := []struct {
		name, body, field, rule string
		lim                     protocol.Limits
	}{
		{"deep enough at a low limit", `{"Data":{"documents":[{"a":{"b":{}}}]}}`, "", "", protocol.Limits{MaxDepth: 4}},
		{"syntax error in Metadata", `{"Data":{"documents":[{}]},"Metadata":{"sys":}}`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"syntax error in another member", `{"Data":{"documents":[{}],"other":[1,,2]}}`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"syntax error in an unknown member", `{"Extra":tru,"Data":{"documents":[{}]}}`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"trailing data after the body", `{"Data":{"documents":[{}]}} {}`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"unterminated string", `{"Data":{"documents":""[{}]`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"missing colon", `{"Data"{"documents":[{}]}}`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"not JSON", `{"Data":`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"not an object", `[1]`, "", protocol.RuleMalformed, protocol.Limits{}},
		{"no binding", `{"Data":{"other":"[]"}}`, "Data.documents", protocol.RuleMissingBinding, protocol.Limits{}},
		{"no Data", `{"Metadata":{}}`, "Data.documents", protocol.RuleMissingBinding, protocol.Limits{}},
		{"a number", `{"Data":{"documents":42}}`, "Data.documents", protocol.RuleNotDocuments, protocol.Limits{}},
		{"null", `{"Data":{"documents":null}}`, "Data.documents", protocol.RuleNotDocuments, protocol.Limits{}},
		{"an object", `{"Data":{"documents":{"id":"a"}}}`, "Data.documents", protocol.RuleNotDocuments, protocol.Limits{}},
		{"encoded three times", `{"Data":{"documents":` + enc(enc(enc(`[{}]`))) + `}}`, "Data.documents", protocol.RuleNotDocuments, protocol.Limits{}},
		{"an element that is not an object", `{"Data":{"documents":` + enc(enc(`[{},"x"]`)) + `}}`, "Data.documents[1]", protocol.RuleNotDocuments, protocol.Limits{}},
		{"malformed inner JSON", `{"Data":{"documents":` + enc(enc(`[{"id":}]`)) + `}}`, "Data.documents", protocol.RuleMalformed, protocol.Limits{}},
		{"trailing bytes after the array", `{"Data":{"documents":` + enc(enc(`[{}] x`)) + `}}`, "Data.documents", protocol.RuleMalformed, protocol.Limits{}},
		{"empty element", `{"Data":{"documents":` + enc(`[{},,{}]`) + `}}`, "Data.documents", protocol.RuleMalformed, protocol.Limits{}},
		{"bad escape in the encoding", `{"Data":{"documents":"\"[\\q]\""}}`, "Data.documents", protocol.RuleMalformed, protocol.Limits{}},
		{"too many documents", `{"Data":{"documents":` + enc(enc(`[{},{},{}]`)) + `}}`, "Data.documents", protocol.RuleTooMany, protocol.Limits{MaxDocuments: 2}},
		{"too deep, plain", `{"Data":{"documents":` + deep + `}}`, "", protocol.RuleTooDeep, protocol.Limits{}},
		{"too deep, double-encoded", `{"Data":{"documents":` + enc(enc(`[{"a":`+deep+`}]`)) + `}}`, "Data.documents", protocol.RuleTooDeep, protocol.Limits{}},
		{"too deep at a low limit", `{"Data":{"documents":[{"a":{"b":{"c":{}}}}]}}`, "", protocol.RuleTooDeep, protocol.Limits{MaxDepth: 4}},
		{"too large", `{"Data":{"documents":[{}]}}`, "", protocol.RuleTooLarge, protocol.Limits{MaxBodyBytes: 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := protocol.DecodeRequest([]byte(c.body), "documents", c.lim)
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var de *protocol.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a DecodeError", err)
			}
			if de.Field != c.field || de.Rule != c.rule {
				t.Errorf("field %q rule %q (%v), want field %q rule %q", de.Field, de.Rule, err, c.field, c.rule)
			}
		})
	}
}

// TestHostileNestingCostsLittle: 60 KB of '[' (30,000 levels), plain or
// double-encoded, is refused after one linear pass, allocating little more
// than the unwrapped copies of the body.
func TestHostileNestingCostsLittle(t *testing.T) {
	open := strings.Repeat("[", 30_000) + strings.Repeat("]", 30_000)
	dbl, _ := json.Marshal(open)
	dbl, _ = json.Marshal(string(dbl))
	for name, body := range map[string]string{
		"plain":          `{"Data":{"documents":` + open + `}}`,
		"double-encoded": `{"Data":{"documents":` + string(dbl) + `}}`,
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := protocol.DecodeRequest([]byte(body), "documents", protocol.Limits{})
		runtime.ReadMemStats(&after)
		var de *protocol.DecodeError
		if !errors.As(err, &de) || de.Rule != protocol.RuleTooDeep {
			t.Fatalf("%s: error %v, want too deep", name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(4*len(body)) {
			t.Errorf("%s: refusing a %d-byte body allocated %d bytes", name, len(body), alloc)
		}
	}
}

func TestAppendReply(t *testing.T) {
	t.Parallel()
	got := protocol.AppendReply(nil, []string{"projected 2 events", `quote " and \ and` + "\n"})
	var r protocol.Reply
	if err := json.Unmarshal(got, &r); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if len(r.Outputs) != 0 || r.Outputs == nil || string(r.ReturnValue) != "null" || len(r.Logs) != 2 || r.Logs[1] != `quote " and \ and`+"\n" {
		t.Errorf("reply %s", got)
	}
	if empty := string(protocol.AppendReply(nil, nil)); empty != `{"Outputs":{},"Logs":[],"ReturnValue":null}` {
		t.Errorf("empty reply %s", empty)
	}
}

func TestRetryContextRoundTrip(t *testing.T) {
	t.Parallel()
	md := &protocol.Metadata{Sys: protocol.Sys{MethodName: "F", UtcNow: time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC), RandGuid: "g"},
		RetryContext: &protocol.RetryContext{RetryCount: 2, MaxRetryCount: -1, Exception: &protocol.Exception{ClassName: "C", Message: "m \"q\""}}}
	req, err := protocol.DecodeRequest(protocol.AppendRequest(nil, "documents", []json.RawMessage{json.RawMessage(`{}`)}, md), "documents", protocol.Limits{})
	if err != nil || req.MetadataErr != nil {
		t.Fatal(err, req.MetadataErr)
	}
	if !req.Metadata.Sys.UtcNow.Equal(time.Date(2025, 1, 2, 3, 4, 5, 123456700, time.UTC)) {
		t.Errorf("UtcNow %v: want .NET's seven digits", req.Metadata.Sys.UtcNow)
	}
	if rc := req.Metadata.RetryContext; rc == nil || rc.RetryCount != 2 || rc.MaxRetryCount != -1 || *rc.Exception != *md.RetryContext.Exception {
		t.Errorf("retry context %+v", rc)
	}
}

func TestBindingNameMatching(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"data":{"Documents":[{"id":"fold"}],"documents":[{"id":"exact"}]}}`,
		`{"DATA":{"documents":[{"id":"exact"}],"DOCUMENTS":[{"id":"fold"}]}}`,
	} {
		req, err := protocol.DecodeRequest([]byte(body), "documents", protocol.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(req.Documents) != 1 || string(req.Documents[0]) != `{"id":"exact"}` {
			t.Errorf("%s: documents %s", body, req.Documents)
		}
	}
}
