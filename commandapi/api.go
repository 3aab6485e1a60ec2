package commandapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/httpapi"
)

// Defaults of Options.
const (
	// DefaultAddr is where the command API listens unless told otherwise:
	// loopback only, so nothing is exposed by accident.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultMaxBodyBytes bounds a request body. The largest command, an
	// order with MaxItems items at their longest, stays well below it.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultRequestTimeout bounds the store work of one request.
	DefaultRequestTimeout = 15 * time.Second
	// DefaultRetryAfter is the Retry-After of a 503.
	DefaultRetryAfter = time.Second
	// DefaultShutdownTimeout is how long Run lets requests in flight finish.
	DefaultShutdownTimeout = 10 * time.Second
)

// Options tune the API. The zero value is valid: every zero field takes its
// default.
type Options struct {
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	MaxBodyBytes int64
	// RequestTimeout bounds the handling of one request.
	RequestTimeout time.Duration
	// RetryAfter is sent with every 503 (rounded to whole seconds, at least 1).
	RetryAfter time.Duration
	// ShutdownTimeout is how long Run waits for requests in flight.
	ShutdownTimeout time.Duration
	// Clock is the time handed to the domain (placedAt, paidAt, ...).
	Clock es.Clock
	// NewID returns a fresh id for commands without an Idempotency-Key and
	// for orders placed without orderId or key (default: random UUIDs).
	NewID func() string
}

// Validate reports every invalid option at once.
func (o Options) Validate() error {
	var errs []error
	if o.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxBodyBytes %d is negative", o.MaxBodyBytes))
	}
	if o.RequestTimeout < 0 {
		errs = append(errs, fmt.Errorf("RequestTimeout %v is negative", o.RequestTimeout))
	}
	if o.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("RetryAfter %v is negative", o.RetryAfter))
	}
	if o.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("ShutdownTimeout %v is negative", o.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Clock == nil {
		o.Clock = es.SystemClock{}
	}
	if o.NewID == nil {
		o.NewID = es.NewEventID
	}
	return o
}

// API is the command API: one echo instance whose handlers turn HTTP requests
// into order commands, run them through a Store and answer with the stream
// version they produced.
type API struct {
	store Store
	log   *slog.Logger
	opts  Options
	echo  *echo.Echo
}

// New returns the API over store, logging to log. A nil store or logger, or
// invalid options, are programming errors and panic, so a half-wired API
// never serves.
func New(store Store, log *slog.Logger, opts Options) *API {
	if store == nil {
		panic("commandapi.New: nil store")
	}
	if log == nil {
		panic("commandapi.New: nil logger")
	}
	if err := opts.Validate(); err != nil {
		panic("commandapi.New: " + err.Error())
	}
	a := &API{store: store, log: log, opts: opts.withDefaults()}
	e := httpapi.NewEcho(httpapi.Observer{NewID: a.opts.NewID, Log: log, HandleError: a.handleError, Done: a.logRequest}, a.deadline)

	e.POST("/orders", a.placeOrder)
	e.POST("/orders/:id/items", a.addItem)
	e.DELETE("/orders/:id/items/:productId", a.removeItem)
	e.POST("/orders/:id/pay", a.payOrder)
	e.POST("/orders/:id/ship", a.shipOrder)
	e.POST("/orders/:id/cancel", a.cancelOrder)
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	a.echo = e
	return a
}

// Handler returns the API as an http.Handler.
func (a *API) Handler() http.Handler { return a.echo }

// Echo returns the underlying echo instance, for adding routes or middleware.
func (a *API) Echo() *echo.Echo { return a.echo }

// maxHeaderBytes bounds the header section of a request (http.Server's
// MaxHeaderBytes; Go allows 4 KiB more before it answers 431).
const maxHeaderBytes = 64 << 10

// Run listens on addr and serves until ctx is done, then shuts down
// gracefully (see Serve).
func (a *API) Run(ctx context.Context, addr string) error {
	return a.server().Run(ctx, addr)
}

// Serve serves on ln until ctx is done, then stops accepting connections and
// waits up to Options.ShutdownTimeout for requests in flight. It returns nil
// after a shutdown that ctx asked for. Requests the HTTP server refuses
// before routing are answered with problems too (httpapi.Server).
func (a *API) Serve(ctx context.Context, ln net.Listener) error {
	return a.server().Serve(ctx, ln)
}

func (a *API) server() httpapi.Server {
	return httpapi.Server{
		Name:            "command API",
		Handler:         a.echo,
		Log:             a.log,
		NewID:           a.opts.NewID,
		WriteTimeout:    a.opts.RequestTimeout + 5*time.Second,
		MaxHeaderBytes:  maxHeaderBytes,
		ShutdownTimeout: a.opts.ShutdownTimeout,
	}
}

// CommandResponse is the body of every successful command.
type CommandResponse struct {
	OrderID string `json:"orderId"`
	// Version is the order's stream version after the command; it is also the
	// ETag, and a query may ask for at least this version.
	Version int64 `json:"version"`
	// EventIDs are the ids of the events the command appended.
	EventIDs []string `json:"eventIds"`
}

// Command names. Each is hashed into the request hash that every event of
// the command stores (see requestHash), and names the command in the request
// log. They must never change: after a rename, every retry of a command
// accepted before it would look like a different request and be refused
// with 422 idempotency-key-reused. TestRequestHashesNeverChange pins them.
const (
	commandPlaceOrder  = "place_order"
	commandAddItem     = "add_item"
	commandRemoveItem  = "remove_item"
	commandPayOrder    = "pay_order"
	commandShipOrder   = "ship_order"
	commandCancelOrder = "cancel_order"
)

// request is a decoded command body. Its JSON encoding is what the request
// hash covers; validate reports every problem the request has on its own,
// before any order is loaded, joined (Invalid *es.Error values).
type request interface {
	validate(orderID string) error
}

// command is one decoded command, ready to validate and run.
type command struct {
	name    string // one of the command names above
	orderID string
	headers commandHeaders
	body    request
	created bool
	decide  func(o *order.Order) error
}

// execute validates a command, runs it through the store and writes the
// answer. Validation runs here rather than in each handler, so no command
// reaches the store without it.
func (a *API) execute(c echo.Context, cmd command) error {
	if err := cmd.body.validate(cmd.orderID); err != nil {
		return invalid(err)
	}
	info := infoOf(c)
	commandID := cmd.headers.key
	if commandID == "" {
		commandID = a.opts.NewID()
	}
	correlationID := c.Request().Header.Get(HeaderCorrelationID)
	if correlationID == "" || len(correlationID) > 128 {
		correlationID = httpapi.RequestID(c)
	}
	res, err := a.store.Update(c.Request().Context(), cmd.orderID, orderapp.UpdateOptions{
		ExpectedVersion: cmd.headers.expected,
		CommandID:       commandID,
		RequestHash:     requestHash(cmd.name, cmd.orderID, cmd.body),
		CorrelationID:   correlationID,
		CausationID:     httpapi.RequestID(c),
	}, cmd.decide)
	info.charge, info.storeRequests = res.RequestCharge, res.StoreRequests
	c.Response().Header().Set(HeaderRequestCharge, formatCharge(res.RequestCharge))
	if err != nil {
		return err
	}
	info.replayed = res.Replayed
	h := c.Response().Header()
	h.Set("ETag", etag(res.Version))
	h.Set("Cache-Control", "no-store")
	status := http.StatusOK
	if cmd.created {
		status = http.StatusCreated
		h.Set(echo.HeaderLocation, "/orders/"+cmd.orderID)
	}
	if res.Replayed {
		h.Set(HeaderIdempotentReplayed, "true")
	}
	ids := res.EventIDs
	if ids == nil {
		ids = []string{}
	}
	return httpapi.WriteJSON(c, status, CommandResponse{OrderID: cmd.orderID, Version: res.Version, EventIDs: ids})
}

// begin notes the command in the request log and parses its headers.
func (a *API) begin(c echo.Context, name, orderID string) (commandHeaders, error) {
	info := infoOf(c)
	info.command = name
	info.orderID = orderID
	return parseCommandHeaders(c.Request().Header)
}

// beginOnOrder starts a command on the order named in the path: it parses
// the order id and the headers, and decodes the body into req against s.
func (a *API) beginOnOrder(c echo.Context, name string, s *shape, req any) (string, commandHeaders, error) {
	orderID, err := pathParam(c, "id", "orderId")
	if err != nil {
		return "", commandHeaders{}, err
	}
	headers, err := a.begin(c, name, orderID)
	if err != nil {
		return "", commandHeaders{}, err
	}
	return orderID, headers, decodeBody(c, a.opts.MaxBodyBytes, s, req)
}

// pathParam returns a path parameter, unescaped; field names it in errors.
// echo matches on the escaped path when the request had escapes that differ
// from the default encoding, and then hands out escaped values.
func pathParam(c echo.Context, name, field string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, nil
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		return "", requestProblem(es.Invalid, RulePath, field, "is not a validly escaped path segment")
	}
	return u, nil
}
