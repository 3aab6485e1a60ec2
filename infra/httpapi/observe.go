package httpapi

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id, in and out.
const HeaderRequestID = "X-Request-Id"

// MaxRequestIDLength bounds an incoming X-Request-Id that is echoed and logged.
const MaxRequestIDLength = 128

// requestIDKey keeps the request id in the echo context.
const requestIDKey = "orderctx.requestId"

// Observer is what Observe needs of an API. Every field is required.
type Observer struct {
	// NewID returns a request id for requests without a usable X-Request-Id.
	NewID func() string
	// Log receives the stack of a recovered panic.
	Log *slog.Logger
	// HandleError turns an error (or a recovered panic) into a problem; it
	// is echo's HTTPErrorHandler too.
	HandleError func(err error, c echo.Context)
	// Done writes the request's log line, after the answer.
	Done func(c echo.Context, start time.Time)
}

// NewEcho returns an echo instance that serves nothing yet, starts every
// request with Observe(o) and then the middleware more, and hands every
// error, echo's own included, to o.HandleError. Echo's banner and logger are
// off: the API logs through o.
func NewEcho(o Observer, more ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = o.HandleError
	e.Use(Observe(o))
	e.Use(more...)
	return e
}

// RequestAttrs are the attributes every request log line starts with: the
// request id, method, path, status and duration.
func RequestAttrs(c echo.Context, start time.Time) []slog.Attr {
	return []slog.Attr{
		slog.String("requestId", RequestID(c)),
		slog.String("method", c.Request().Method),
		slog.String("path", c.Request().URL.Path),
		slog.Int("status", c.Response().Status),
		slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
	}
}

// RequestID returns the id Observe gave the request, or "" for a request
// that did not pass through it.
func RequestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// Record returns the API's record of the request kept under key, creating
// it on first use: what the handlers note for the request's log line.
func Record[T any](c echo.Context, key string) *T {
	if v, ok := c.Get(key).(*T); ok {
		return v
	}
	v := new(T)
	c.Set(key, v)
	return v
}

// Observe returns the one middleware every API starts with: the request id
// in and out (and kept for RequestID), a recovered panic turned into an error (and its stack logged),
// errors handed to HandleError, and one log line per request. Handlers
// return errors; this is where they leave as problems.
func Observe(o Observer) echo.MiddlewareFunc {
	if o.NewID == nil || o.Log == nil || o.HandleError == nil || o.Done == nil {
		panic("httpapi.Observe: every field of Observer is required")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			requestID := AcceptRequestID(c.Request().Header.Get(HeaderRequestID))
			if requestID == "" {
				requestID = o.NewID()
			}
			c.Response().Header().Set(HeaderRequestID, requestID)
			c.Set(requestIDKey, requestID)
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
						panic(r)
					}
					o.Log.Error("handler panicked", "requestId", requestID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					o.HandleError(fmt.Errorf("panic: %v", r), c)
				}
				o.Done(c, start)
			}()
			if err := next(c); err != nil {
				o.HandleError(err, c)
			}
			return nil
		}
	}
}

// AcceptRequestID returns an incoming request id if it is safe to echo and
// log (1 to MaxRequestIDLength visible ASCII characters), or "".
func AcceptRequestID(id string) string {
	if id == "" || len(id) > MaxRequestIDLength {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return ""
		}
	}
	return id
}
