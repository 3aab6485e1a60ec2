package cosmosemu_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"orderctx/infra/cosmosemu"
)

// TestInProcessTransportAnswersAsTheHandler: the transport azcosmos uses in
// process answers each request with the status, headers and body that the
// server's net/http handler gives the same request on a twin server.
func TestInProcessTransportAnswersAsTheHandler(t *testing.T) {
	t.Parallel()
	viaHandler, viaTransport := newTwin(t), newTwin(t)
	tests := []struct {
		name, method, path string
		headers            map[string]string
		body               []byte
		want               int
	}{
		{"create", "POST", "dbs/db/colls/c/docs", map[string]string{"x-ms-documentdb-partitionkey": `["a"]`},
			[]byte(`{"id":"1","pk":"a","n":1}`), http.StatusCreated},
		{"create again", "POST", "dbs/db/colls/c/docs", map[string]string{"x-ms-documentdb-partitionkey": `["a"]`},
			[]byte(`{"id":"1","pk":"a","n":1}`), http.StatusConflict},
		{"read", "GET", "dbs/db/colls/c/docs/1", map[string]string{"x-ms-documentdb-partitionkey": `["a"]`}, nil, http.StatusOK},
		{"read a missing item", "GET", "dbs/db/colls/c/docs/2", map[string]string{"x-ms-documentdb-partitionkey": `["a"]`}, nil, http.StatusNotFound},
		{"a batch over the size limit", "POST", "dbs/db/colls/c/docs", map[string]string{"x-ms-documentdb-partitionkey": `["a"]`,
			"x-ms-cosmos-is-batch-request": "True", "x-ms-cosmos-batch-atomic": "True"},
			[]byte(`[` + strings.Repeat(" ", 3<<20) + `]`), http.StatusRequestEntityTooLarge},
	}
	transport := viaTransport.Client().Transport
	for _, tc := range tests {
		want := rawResp(t, viaHandler, tc.method, tc.path, tc.headers, tc.body)
		got, err := transport.RoundTrip(signed(tc.method, tc.path, tc.headers, tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		wantBody, _ := io.ReadAll(want.Body)
		gotBody, _ := io.ReadAll(got.Body)
		if got.StatusCode != tc.want || want.StatusCode != tc.want {
			t.Fatalf("%s: transport %d, handler %d, want %d", tc.name, got.StatusCode, want.StatusCode, tc.want)
		}
		if got.ContentLength != int64(len(gotBody)) || len(gotBody) != len(wantBody) {
			t.Errorf("%s: body of %d bytes (Content-Length %d), the handler's %d", tc.name, len(gotBody), got.ContentLength, len(wantBody))
		}
		for name := range want.Header {
			if _, ok := got.Header[name]; !ok {
				t.Errorf("%s: header %s missing from the transport's answer", tc.name, name)
			}
		}
	}
}

// newTwin is an in-memory server with database db and container c (on /pk).
func newTwin(t *testing.T) *cosmosemu.Server {
	t.Helper()
	srv, err := cosmosemu.New(cosmosemu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if rawDo(t, srv, "POST", "dbs", nil, []byte(`{"id":"db"}`)) != 201 ||
		rawDo(t, srv, "POST", "dbs/db/colls", nil, []byte(`{"id":"c","partitionKey":{"paths":["/pk"]}}`)) != 201 {
		t.Fatal("setup failed")
	}
	return srv
}

// signed is a signed request as the SDK sends it (no body when body is nil).
func signed(method, path string, headers map[string]string, body []byte) *http.Request {
	var b io.Reader
	if body != nil {
		b = bytes.NewReader(body)
	}
	r := httptest.NewRequest(method, "http://cosmos-raw.test/"+path, b)
	date := time.Now().UTC().Format(http.TimeFormat)
	r.Header.Set("x-ms-date", date)
	r.Header.Set("Authorization", sign(cosmosemu.EmulatorKey, method, path, date))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}
