package queryapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/infra/httpapi"
)

// HeaderRequestID carries the request id, in and out.
const HeaderRequestID = httpapi.HeaderRequestID

// requestInfo collects what the request log line reports.
type requestInfo struct {
	rule string
	err  error
}

// infoOf returns the request's info.
func infoOf(c echo.Context) *requestInfo { return httpapi.Record[requestInfo](c, "orderctx.queryInfo") }

// boundQuery refuses a query string above Options.MaxQueryBytes (414) before
// any handler parses it.
func (a *API) boundQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if n := len(c.Request().URL.RawQuery); n > a.opts.MaxQueryBytes {
			return refuse(kindURITooLong, RuleQueryTooLong, "", "the query string has %d bytes; at most %d are accepted", n, a.opts.MaxQueryBytes)
		}
		return next(c)
	}
}

// storeContext bounds the event store work of one request by
// Options.RequestTimeout.
func (a *API) storeContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), a.opts.RequestTimeout)
}

// logRequest writes the request's log line: DEBUG for every answered read
// (queries are many and cheap; logging each at INFO would cost more than
// serving it), INFO for refusals the server decided (4xx other than 404 and
// 304), ERROR for 5xx other than the expected 503s.
func (a *API) logRequest(c echo.Context, start time.Time) {
	info := infoOf(c)
	status := c.Response().Status
	level := slog.LevelDebug
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		level = slog.LevelError
	case status >= 400 && status != http.StatusNotFound:
		level = slog.LevelInfo
	}
	ctx := context.WithoutCancel(c.Request().Context())
	if !a.log.Enabled(ctx, level) {
		return
	}
	attrs := httpapi.RequestAttrs(c, start)
	if info.rule != "" {
		attrs = append(attrs, slog.String("rule", info.rule))
	}
	if info.err != nil {
		attrs = append(attrs, slog.String("err", info.err.Error()))
	}
	a.log.LogAttrs(ctx, level, "request", attrs...)
}
