package commandapi

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
)

// requestInfo collects what the request log line reports; handlers and the
// error handler fill it in as the request proceeds.
type requestInfo struct {
	requestID string
	command   string
	orderID   string
	replayed  bool
	charge    float64
	// storeRequests is how many requests the command sent to the store.
	storeRequests int
	rule          string
	internal      error
}

const infoKey = "orderctx.requestInfo"

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

// maxRequestIDLength bounds an incoming X-Request-Id that is echoed and logged.
const maxRequestIDLength = 128

// observe is the one middleware: request id in and out, a deadline for the
// request, a recovered panic turned into a 500 problem, errors turned into
// problems, and one structured log line per request.
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
		ctx, cancel := context.WithTimeout(req.Context(), a.opts.RequestTimeout)
		defer cancel()
		c.SetRequest(req.WithContext(ctx))

		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
					panic(r)
				}
				err := fmt.Errorf("panic: %v", r)
				a.log.Error("handler panicked", "requestId", info.requestID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				a.handleError(err, c)
			}
			a.logRequest(c, info, start)
		}()
		if err := next(c); err != nil {
			a.handleError(err, c)
		}
		return nil
	}
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

func (a *API) logRequest(c echo.Context, info *requestInfo, start time.Time) {
	status := c.Response().Status
	attrs := []slog.Attr{
		slog.String("requestId", info.requestID),
		slog.String("method", c.Request().Method),
		slog.String("path", c.Request().URL.Path),
		slog.Int("status", status),
		slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
	}
	if info.command != "" {
		attrs = append(attrs,
			slog.String("command", info.command),
			slog.String("orderId", info.orderID),
			slog.String("outcome", outcome(status, info.replayed)),
			slog.Float64("ru", math.Round(info.charge*100)/100),
			slog.Int("storeRequests", info.storeRequests),
		)
	}
	if info.rule != "" {
		attrs = append(attrs, slog.String("rule", info.rule))
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
		if info.internal != nil {
			attrs = append(attrs, slog.String("err", info.internal.Error()))
		}
	case info.command == "":
		level = slog.LevelDebug // probes and unknown routes
	}
	a.log.LogAttrs(context.WithoutCancel(c.Request().Context()), level, "request", attrs...)
}

func outcome(status int, replayed bool) string {
	switch {
	case status >= 500:
		return "failed"
	case status >= 400:
		return "rejected"
	case replayed:
		return "replayed"
	default:
		return "accepted"
	}
}
