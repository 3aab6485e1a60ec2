package cosmosemu_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"orderctx/infra/cosmosemu"
)

// benchServer is a server with database db and container c (on /pk),
// closed when the benchmark ends.
func benchServer(b *testing.B, dir string) *cosmosemu.Server {
	srv, err := cosmosemu.New(cosmosemu.Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	t := &testing.T{}
	if rawDo(t, srv, "POST", "dbs", nil, []byte(`{"id":"db"}`)) != 201 ||
		rawDo(t, srv, "POST", "dbs/db/colls", nil, []byte(`{"id":"c","partitionKey":{"paths":["/pk"]}}`)) != 201 {
		b.Fatal("setup failed")
	}
	return srv
}

// handlerBench runs requests straight into the handler (no socket, no SDK):
// the server's own cost per request.
func handlerBench(b *testing.B, dir string, setup func(srv *cosmosemu.Server), req func(i int) (method, path string, hdr map[string]string, body []byte)) {
	srv := benchServer(b, dir)
	if setup != nil {
		setup(srv)
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		method, path, hdr, body := req(i)
		r := httptest.NewRequest(method, "http://cosmos-bench.test/"+path, bytes.NewReader(body))
		r.Header.Set("x-ms-date", date)
		r.Header.Set("Authorization", sign(cosmosemu.EmulatorKey, method, path, date))
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code >= 300 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func createReq(i int) (string, string, map[string]string, []byte) {
	id := strconv.Itoa(i)
	return "POST", "dbs/db/colls/c/docs", map[string]string{"x-ms-documentdb-partitionkey": `["s` + id + `"]`},
		[]byte(`{"id":"` + id + `","pk":"s` + id + `","type":"order.item_added","data":{"productId":"p-1","quantity":2,"unitPrice":1250}}`)
}

func BenchmarkHandlerCreateMemory(b *testing.B) { handlerBench(b, "", nil, createReq) }

func BenchmarkHandlerPointRead(b *testing.B) {
	handlerBench(b, "", func(srv *cosmosemu.Server) {
		for i := 0; i < 1000; i++ {
			m, p, h, body := createReq(i)
			rawResp(&testing.T{}, srv, m, p, h, body)
		}
	}, func(i int) (string, string, map[string]string, []byte) {
		id := strconv.Itoa(i % 1000)
		return "GET", "dbs/db/colls/c/docs/" + id, map[string]string{"x-ms-documentdb-partitionkey": `["s` + id + `"]`}, nil
	})
}

// BenchmarkInProcessTransport is a point read through the transport that
// azcosmos uses in process (Server.Client): the handler's cost plus what
// carrying the request and the answer costs without a socket.
func BenchmarkInProcessTransport(b *testing.B) {
	srv := benchServer(b, "")
	m, p, h, body := createReq(1)
	rawResp(&testing.T{}, srv, m, p, h, body)
	transport := srv.Client().Transport
	b.ReportAllocs()
	for b.Loop() {
		resp, err := transport.RoundTrip(signed("GET", "dbs/db/colls/c/docs/1", map[string]string{"x-ms-documentdb-partitionkey": `["s1"]`}, nil))
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status %v, err %v", resp, err)
		}
		resp.Body.Close()
	}
}
