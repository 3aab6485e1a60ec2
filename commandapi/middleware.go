package commandapi

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/infra/httpapi"
)

// requestInfo collects what the request log line reports; handlers and the
// error handler fill it in as the request proceeds.
type requestInfo struct {
	command  string
	orderID  string
	replayed bool
	charge   float64
	// storeRequests is how many requests the command sent to the store.
	storeRequests int
	rule          string
	internal      error
}

// infoOf returns the request's info.
func infoOf(c echo.Context) *requestInfo {
	return httpapi.Record[requestInfo](c, "orderctx.requestInfo")
}

// deadline bounds the handling of a request, store work included, by
// Options.RequestTimeout; a request that runs out answers 503.
func (a *API) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), a.opts.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// logRequest writes the request's log line.
func (a *API) logRequest(c echo.Context, start time.Time) {
	info := infoOf(c)
	status := c.Response().Status
	attrs := httpapi.RequestAttrs(c, start)
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
