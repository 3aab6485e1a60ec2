package queryapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"orderctx/queryapi"
)

// nopWriter is a response writer that keeps nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkGetOrderHandler measures the handler alone (no network), next
// to an echo hello-world handler: the CPU and allocations the query API
// adds to echo's own per request.
func BenchmarkGetOrderHandler(b *testing.B) {
	// Logging at INFO, as in production, where request lines are DEBUG.
	feed := &memFeed{}
	feed.Push(spec("o-1", "paid", "b-1", 1250, 0, 4).Doc())
	api := queryapi.New(queryapi.Deps{Views: feed}, slog.New(slog.NewJSONHandler(io.Discard, nil)), queryapi.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go api.Follow(ctx)
	waitReady(b, api)
	hello := echo.New()
	hello.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "Hello, World!") })
	for name, tc := range map[string]struct {
		h    http.Handler
		path string
	}{"hello": {hello, "/"}, "get": {api.Handler(), "/orders/o-1"}, "list": {api.Handler(), "/orders?status=paid"}} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tc.h.ServeHTTP(&nopWriter{h: http.Header{}}, req)
			}
		})
	}
}
