package commandapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"orderctx/commandapi"
	"orderctx/domain/order"
	"orderctx/infra/httpapi/httpapitest"
)

// serveTCP serves f's API on a loopback port until the test ends, then
// checks that Serve returns nil after the shutdown.
func serveTCP(t *testing.T, f *fixture) string {
	t.Helper()
	return httpapitest.Serve(t, f.api.Serve)
}

// rawProblem checks that a raw response is a problem document of status.
func rawProblem(t *testing.T, resp *http.Response, body []byte, status int) commandapi.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d %q, want %d", resp.StatusCode, body, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != commandapi.ProblemContentType {
		t.Fatalf("Content-Type %q, body %q", ct, body)
	}
	var p commandapi.Problem
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem %q: %v", body, err)
	}
	if p.Status != status || p.Type == "" || p.Title == "" || p.Rule == "" || p.Detail == "" {
		t.Fatalf("problem %+v", p)
	}
	if p.RequestID == "" || p.RequestID != resp.Header.Get(commandapi.HeaderRequestID) {
		t.Fatalf("request id %q, header %q", p.RequestID, resp.Header.Get(commandapi.HeaderRequestID))
	}
	return p
}

func rawPost(path, headers, body string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// TestMalformedRequestsGetProblems sends, over raw TCP, each kind of request
// that Go's HTTP server refuses before any handler runs, and the path tricks
// that do reach the application: every answer is a problem document.
func TestMalformedRequestsGetProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	addr := serveTCP(t, f)
	cancel := `{"reason":"r"}`
	tests := []struct {
		name   string
		raw    string
		status int
		rule   string
		field  string
	}{
		{"control character in a header value", rawPost("/orders/o-1/cancel", "X-Note: a\x01b\r\n", cancel), 400, commandapi.RuleMalformedRequest, ""},
		{"badly escaped path", rawPost("/orders/%zz/pay", "", cancel), 400, commandapi.RuleMalformedRequest, ""},
		{"raw space in the path", rawPost("/orders/o 1/cancel", "", cancel), 400, commandapi.RuleMalformedRequest, ""},
		{"malformed request line", "GARBAGE\r\nHost: x\r\n\r\n", 400, commandapi.RuleMalformedRequest, ""},
		{"no Host header", "POST /orders/o-1/cancel HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, commandapi.RuleMalformedRequest, ""},
		{"headers above 64 KiB", rawPost("/orders/o-1/cancel", "X-Big: "+strings.Repeat("a", 80<<10)+"\r\n", cancel), 431, commandapi.RuleHeadersTooLarge, ""},
		{"gzip transfer encoding", "POST /orders/o-1/cancel HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n", 501, commandapi.RuleTransferEncoding, ""},
		{"HTTP/3.0", "POST /orders/o-1/cancel HTTP/3.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 505, commandapi.RuleHTTPVersion, ""},
		{"dot-dot order id in the raw path", rawPost("/orders/../items", "", `{"productId":"p-2","name":"n","quantity":1,"unitPrice":1}`), 400, order.RuleFormat, "orderId"},
		{"escaped dot-dot order id", rawPost("/orders/%2e%2e/cancel", "", cancel), 400, order.RuleFormat, "orderId"},
		{"escaped slash in an order id", rawPost("/orders/a%2Fb/cancel", "", cancel), 400, order.RuleFormat, "orderId"},
		{"escaped invalid UTF-8 in an order id", rawPost("/orders/%ff/cancel", "", cancel), 400, order.RuleFormat, "orderId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := httpapitest.Exchange(t, addr, tc.raw)
			p := rawProblem(t, resp, body, tc.status)
			if p.Rule != tc.rule {
				t.Fatalf("rule %q, want %q: %+v", p.Rule, tc.rule, p)
			}
			if tc.field != "" && !hasError(p, tc.field, tc.rule) {
				t.Fatalf("no error for %s: %+v", tc.field, p.Errors)
			}
		})
	}
	if n := len(f.store.Events(order.StreamID("o-1"))); n != 1 {
		t.Fatalf("the order has %d events, want the placing one only", n)
	}
}

// TestWellFormedRequestsPassUnchanged checks that the connection wrapper
// leaves the application's own answers alone, also on a kept-alive connection.
func TestWellFormedRequestsPassUnchanged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	addr := serveTCP(t, f)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	steps := []struct {
		raw    string
		status int
		ct     string
	}{
		{rawPost("/orders", "", placeBody), 201, "application/json"},
		{"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, "application/json"},
		{rawPost("/orders/o-1/cancel", "", `{}`), 400, commandapi.ProblemContentType},
		{"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, commandapi.ProblemContentType},
	}
	for _, s := range steps {
		if _, err := io.WriteString(conn, s.raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != s.status || resp.Header.Get("Content-Type") != s.ct || resp.Close {
			t.Fatalf("%.40q: status %d, Content-Type %q, close %v", s.raw, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Close)
		}
	}
}
