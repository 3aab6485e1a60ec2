package queryapi_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"orderctx/infra/httpapi"
	"orderctx/infra/httpapi/httpapitest"
	"orderctx/queryapi"
)

// TestRefusedRequestsGetProblems: the requests Go's HTTP server refuses
// before any handler runs are answered with problems by the query API too,
// while its own answers on the same listener pass unchanged.
func TestRefusedRequestsGetProblems(t *testing.T) {
	t.Parallel()
	api := queryapi.New(queryapi.Deps{Views: &memFeed{}}, slog.New(slog.DiscardHandler), queryapi.Options{PollInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() { defer close(followed); api.Follow(ctx) }()
	t.Cleanup(func() { cancel(); <-followed })
	addr := httpapitest.Serve(t, api.Serve)
	waitReady(t, api)
	tests := []struct {
		name   string
		raw    string
		status int
		rule   string
		ct     string
	}{
		{"malformed request line", "GARBAGE\r\nHost: x\r\n\r\n", 400, httpapi.RuleMalformedRequest, queryapi.ProblemContentType},
		{"badly escaped path", "GET /orders/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, httpapi.RuleMalformedRequest, queryapi.ProblemContentType},
		{"headers above 16 KiB", "GET /orders HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 24<<10) + "\r\n\r\n", 431, httpapi.RuleHeadersTooLarge, queryapi.ProblemContentType},
		{"the API's own answer", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := httpapitest.Exchange(t, addr, tc.raw)
			r := response{status: resp.StatusCode, header: resp.Header, body: body}
			if r.header.Get("Content-Type") != tc.ct {
				t.Fatalf("status %d, Content-Type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if tc.rule == "" {
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				return
			}
			if p := wantProblem(t, r, tc.status, tc.rule, ""); p.RequestID != r.header.Get(queryapi.HeaderRequestID) {
				t.Fatalf("request id %q, header %q", p.RequestID, r.header.Get(queryapi.HeaderRequestID))
			}
		})
	}
}
