package queryapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id, in and out.
const HeaderRequestID = "X-Request-Id"

// maxRequestIDLength bounds an incoming X-Request-Id that is echoed and logged.
const maxRequestIDLength = 128

// requestInfo collects what the request log line reports.
type requestInfo struct {
	requestID string
	rule      string
	err       error
}

const infoKey = "orderctx.queryInfo"

// infoOf returns the request's info, creating it for requests that did not
// pass through observe (such as echo's own 404 before any middleware).
func infoOf(c echo.Context) *requestInfo {
	if v, ok := c.Get(infoKey).(*requestInfo); ok {
		return v
	}
	info := &requestInfo{}
	c.Set(infoKey, info)
	return info
}

// observe is the one middleware: request id in and out, a bounded query
// string, a recovered panic turned into a 500 problem, errors turned into
// problems, and one structured log line per request. Deadlines are set by
// the handlers that reach the event store (storeContext); reads from memory
// need none, and a timer per request would cost more than the read.
func (a *API) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		info := &requestInfo{requestID: acceptRequestID(req.Header.Get(HeaderRequestID))}
		if info.requestID == "" {
			info.requestID = a.opts.NewID()
		}
		c.Set(infoKey, info)
		c.Response().Header().Set(HeaderRequestID, info.requestID)
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
					panic(r)
				}
				a.log.Error("handler panicked", "requestId", info.requestID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				a.handleError(fmt.Errorf("panic: %v", r), c)
			}
			a.logRequest(c, info, start)
		}()
		var err error
		if len(req.URL.RawQuery) > a.opts.MaxQueryBytes {
			err = refuse(kindURITooLong, RuleQueryTooLong, "", "the query string has %d bytes; at most %d are accepted", len(req.URL.RawQuery), a.opts.MaxQueryBytes)
		} else {
			err = next(c)
		}
		if err != nil {
			a.handleError(err, c)
		}
		return nil
	}
}

// storeContext bounds the event store work of one request by
// Options.RequestTimeout.
func (a *API) storeContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), a.opts.RequestTimeout)
}

// acceptRequestID returns an incoming request id if it is safe to echo and
// log (visible ASCII, bounded), or "".
func acceptRequestID(id string) string {
	if id == "" || len(id) > maxRequestIDLength {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return ""
		}
	}
	return id
}

// logRequest writes the request's log line: DEBUG for every answered read
// (queries are many and cheap; logging each at INFO would cost more than
// serving it), INFO for refusals the server decided (4xx other than 404 and
// 304), ERROR for 5xx other than the expected 503s.
func (a *API) logRequest(c echo.Context, info *requestInfo, start time.Time) {
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
	attrs := []slog.Attr{
		slog.String("requestId", info.requestID),
		slog.String("method", c.Request().Method),
		slog.String("path", c.Request().URL.Path),
		slog.Int("status", status),
		slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
	}
	if info.rule != "" {
		attrs = append(attrs, slog.String("rule", info.rule))
	}
	if info.err != nil {
		attrs = append(attrs, slog.String("err", info.err.Error()))
	}
	a.log.LogAttrs(ctx, level, "request", attrs...)
}
