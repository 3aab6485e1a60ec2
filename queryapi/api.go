package queryapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/infra/httpapi"
	"orderctx/queryapi/audit"
	"orderctx/queryapi/live"
	"orderctx/queryapi/readmodel"
)

// Defaults and bounds of Options and of the request parameters.
const (
	// DefaultAddr is where the query API listens unless told otherwise:
	// loopback only, so nothing is exposed by accident.
	DefaultAddr = "127.0.0.1:8090"
	// DefaultMaxQueryBytes bounds the query string (414 beyond).
	DefaultMaxQueryBytes = 2048
	// DefaultRequestTimeout bounds the handling of one request; it is above
	// MaxWait so a read-your-writes wait always ends first.
	DefaultRequestTimeout = 15 * time.Second
	// DefaultRetryAfter is the Retry-After of a 503.
	DefaultRetryAfter = time.Second
	// DefaultShutdownTimeout is how long Run lets requests in flight finish.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultPollInterval is how long a follower waits before asking a
	// caught-up change feed again. Short, because a command's effect should
	// be visible within tens of milliseconds end to end; an idle poll of the
	// embedded store costs microseconds (a real account charges request
	// units for each: see docs/query-api.md).
	DefaultPollInterval = 5 * time.Millisecond
	// DefaultAuditPollInterval is the same for the events feed: the audit
	// log needs no such freshness, and each idle poll costs CPU (about 0.25
	// ms on the embedded store).
	DefaultAuditPollInterval = 100 * time.Millisecond
	// DefaultHeartbeat is the interval of keep-alive comments on /live.
	DefaultHeartbeat = 15 * time.Second
	// DefaultWait is how long ?minVersion waits without ?wait.
	DefaultWait = 2 * time.Second
	// MaxWait bounds ?wait.
	MaxWait = 10 * time.Second
	// DefaultLimit and MaxLimit are the page sizes of the paged endpoints.
	DefaultLimit = 50
	MaxLimit     = 200
)

// Options tune the API. The zero value is valid: every zero field takes its
// default.
type Options struct {
	// MaxQueryBytes bounds the query string of a request.
	MaxQueryBytes int
	// RequestTimeout bounds the handling of one request (not of /live).
	RequestTimeout time.Duration
	// RetryAfter is sent with every 503 (rounded to whole seconds, at least 1).
	RetryAfter time.Duration
	// ShutdownTimeout is how long Run waits for requests in flight.
	ShutdownTimeout time.Duration
	// PollInterval is the pause between polls of the caught-up views feed.
	PollInterval time.Duration
	// AuditPollInterval is the pause between polls of the caught-up events feed.
	AuditPollInterval time.Duration
	// ActivePollInterval is the pause between reads of the views pointer
	// (with Deps.Source).
	ActivePollInterval time.Duration
	// MaxMemoryBytes caps the read model's accounted memory (readmodel.Options).
	MaxMemoryBytes int64
	// MaxAuditEvents bounds the audit index (audit.Options).
	MaxAuditEvents int
	// Live bounds the server-sent events: subscribers, buffer, resume ring.
	Live live.Options
	// Heartbeat is the interval of keep-alive comments on /live.
	Heartbeat time.Duration
	// NewID returns a request id for requests without a usable X-Request-Id.
	NewID func() string
}

// Validate reports every invalid option at once.
func (o Options) Validate() error {
	var errs []error
	for name, d := range map[string]time.Duration{"RequestTimeout": o.RequestTimeout, "RetryAfter": o.RetryAfter,
		"ShutdownTimeout": o.ShutdownTimeout, "PollInterval": o.PollInterval, "AuditPollInterval": o.AuditPollInterval, "ActivePollInterval": o.ActivePollInterval,
		"Heartbeat": o.Heartbeat} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	for name, n := range map[string]int64{"MaxQueryBytes": int64(o.MaxQueryBytes), "MaxMemoryBytes": o.MaxMemoryBytes,
		"MaxAuditEvents": int64(o.MaxAuditEvents), "Live.RingSize": int64(o.Live.RingSize),
		"Live.MaxSubscribers": int64(o.Live.MaxSubscribers), "Live.Buffer": int64(o.Live.Buffer)} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("%s %d is negative", name, n))
		}
	}
	if o.RequestTimeout != 0 && o.RequestTimeout <= MaxWait {
		errs = append(errs, fmt.Errorf("RequestTimeout %v must exceed the longest wait, %v", o.RequestTimeout, MaxWait))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	set := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	set(&o.RequestTimeout, DefaultRequestTimeout)
	set(&o.RetryAfter, DefaultRetryAfter)
	set(&o.ShutdownTimeout, DefaultShutdownTimeout)
	set(&o.PollInterval, DefaultPollInterval)
	set(&o.AuditPollInterval, DefaultAuditPollInterval)
	set(&o.ActivePollInterval, DefaultActivePollInterval)
	set(&o.Heartbeat, DefaultHeartbeat)
	if o.MaxQueryBytes == 0 {
		o.MaxQueryBytes = DefaultMaxQueryBytes
	}
	if o.NewID == nil {
		o.NewID = sequentialIDs()
	}
	return o
}

// sequentialIDs returns request ids "<random prefix>-<n>": unique across
// instances and restarts, and cheaper than a random UUID per read.
func sequentialIDs() func() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := hex.EncodeToString(b[:]) + "-"
	var n atomic.Uint64
	return func() string { return prefix + strconv.FormatUint(n.Add(1), 10) }
}

// Feed is one container's change feed from its beginning (infra/feedreader).
type Feed interface {
	// Next returns the next changed documents. caughtUp means the feed had
	// nothing newer than them (or, with no documents, nothing new at all)
	// when read. After an error, Next may be called again and continues
	// where it was.
	Next(ctx context.Context) (docs [][]byte, caughtUp bool, err error)
}

// EventReader reads one event by stream and version, decoded and upcast
// (infra/eventstore.Store). Errors: NotFound, Unavailable, Internal.
type EventReader interface {
	ReadEvent(ctx context.Context, streamID string, version int64) (es.Envelope, error)
}

// Deps are the API's ports. Views or Source is required; the others
// enable their endpoints, which answer 501 without them.
type Deps struct {
	// Views is the change feed of the views container.
	Views Feed
	// Source, instead of Views, follows whichever views container is
	// active, and moves to another without downtime when a rebuild switches.
	Source ViewsSource
	// History loads an order's events for GET /orders/{id}/events. It must
	// load whole streams (no snapshots): the audit shows every event.
	History es.EventStore
	// Events is the change feed of the events container, and EventReader
	// reads the events it lists, for GET /events.
	Events      Feed
	EventReader EventReader
	// Predictor folds newer events onto a view for ?predict=true.
	Predictor Predictor
}

// API is the query API: the read model, its followers and the HTTP routes.
type API struct {
	deps  Deps
	log   *slog.Logger
	opts  Options
	model *readmodel.Model
	hub   *live.Hub
	audit *audit.Index
	echo  *echo.Echo

	ready      chan struct{} // closed when the views feed has caught up once
	readyOnce  sync.Once
	auditReady chan struct{} // closed when the events feed has caught up once
	applyMu    sync.Mutex    // one page of views applied and published at a time
	active     atomic.Value  // the views container followed (a string), with Source
}

// New returns the API over deps. A missing views feed or logger, or invalid
// options, are programming errors and panic, so a half-wired API never serves.
func New(deps Deps, log *slog.Logger, opts Options) *API {
	if (deps.Views == nil) == (deps.Source == nil) {
		panic("queryapi.New: exactly one of a views feed and a views source")
	}
	if log == nil {
		panic("queryapi.New: nil logger")
	}
	if (deps.Events == nil) != (deps.EventReader == nil) {
		panic("queryapi.New: the events feed and the event reader go together")
	}
	if err := opts.Validate(); err != nil {
		panic("queryapi.New: " + err.Error())
	}
	opts = opts.withDefaults()
	a := &API{
		deps: deps, log: log, opts: opts,
		model:      readmodel.New(readmodel.Options{MaxBytes: opts.MaxMemoryBytes}),
		hub:        live.New(opts.Live),
		audit:      audit.New(audit.Options{MaxEvents: opts.MaxAuditEvents}),
		ready:      make(chan struct{}),
		auditReady: make(chan struct{}),
	}
	// No deadline middleware: the handlers that reach the event store set
	// one (storeContext); reads from memory need none, and a timer per
	// request would cost more than the read.
	e := httpapi.NewEcho(httpapi.Observer{NewID: opts.NewID, Log: log, HandleError: a.handleError, Done: a.logRequest}, a.boundQuery)

	e.GET("/orders", a.listOrders)
	e.GET("/orders/stats", a.stats)
	e.GET("/orders/:id", a.getOrder)
	e.GET("/orders/:id/events", a.orderHistory)
	e.GET("/events", a.auditLog)
	e.GET("/live", a.live)
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	a.echo = e
	return a
}

// Handler returns the API as an http.Handler.
func (a *API) Handler() http.Handler { return a.echo }

// Ready is closed once the initial load has caught up with the views feed.
func (a *API) Ready() <-chan struct{} { return a.ready }

// Run follows the feeds and serves on addr until ctx is done.
func (a *API) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("query API: %w", err)
	}
	return a.RunOn(ctx, ln)
}

// RunOn follows the feeds and serves on ln until ctx is done.
func (a *API) RunOn(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		a.Follow(ctx)
	}()
	err := a.Serve(ctx, ln)
	cancel()
	<-followed
	return err
}

// Serve serves HTTP on ln until ctx is done, then ends the live streams,
// stops accepting connections and waits up to Options.ShutdownTimeout for
// requests in flight. It returns nil after a shutdown that ctx asked for.
// The read model is filled by Follow, which the caller runs alongside.
// Requests the HTTP server refuses before routing are answered with
// problems too (httpapi.Server).
func (a *API) Serve(ctx context.Context, ln net.Listener) error {
	// No WriteTimeout: it would cut the live streams, which set a deadline
	// per write instead; every other response is bounded by RequestTimeout.
	return httpapi.Server{
		Name:            "query API",
		Handler:         a.echo,
		Log:             a.log,
		NewID:           a.opts.NewID,
		MaxHeaderBytes:  maxHeaderBytes,
		ShutdownTimeout: a.opts.ShutdownTimeout,
		BeforeShutdown:  func() { a.hub.Close("the server is shutting down") },
	}.Serve(ctx, ln)
}

// maxHeaderBytes bounds the header section of a request (http.Server's
// MaxHeaderBytes; Go allows 4 KiB more before it answers 431).
const maxHeaderBytes = 16 << 10
