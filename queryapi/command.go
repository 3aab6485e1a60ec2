package queryapi

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
	"orderctx/infra/feedreader"
	"orderctx/infra/viewpointer"
	"orderctx/queryapi/audit"
)

// Main is the `orderctx queryapi` command: the query API on the views and
// events containers. The store comes from the environment (COSMOS_ENDPOINT,
// COSMOS_KEY, COSMOS_DATABASE, ORDERCTX_DATA) and flags override it; without
// an endpoint it runs on the embedded store in-process, with its data under
// ./.orderctx. Fold, when set before Open, enables ?predict=true.
type Main struct {
	Addr    string
	Store   cosmosdb.Config
	Options Options
	Fold    Fold
	Log     *slog.Logger

	maxMemoryMiB int64
	conn         *cosmosdb.Conn
	api          *API
}

// NewMain returns the command with its defaults and the environment's store settings.
func NewMain() *Main {
	return &Main{Addr: DefaultAddr, Store: cosmosdb.ConfigFromEnv(), Fold: OrderViewFold, Log: slog.Default(), maxMemoryMiB: 1024}
}

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("queryapi", flag.ContinueOnError)
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen address of the HTTP API (loopback by default)")
	fs.DurationVar(&m.Options.PollInterval, "poll", DefaultPollInterval, "pause between polls of the caught-up views feed (freshness against idle cost)")
	fs.DurationVar(&m.Options.AuditPollInterval, "audit-poll", DefaultAuditPollInterval, "pause between polls of the caught-up events feed")
	fs.Int64Var(&m.maxMemoryMiB, "max-memory-mib", m.maxMemoryMiB, "memory cap of the read model in MiB (views and indexes)")
	fs.IntVar(&m.Options.MaxAuditEvents, "audit-max-events", audit.DefaultMaxEvents, "events kept in the audit index (the oldest leave first)")
	fs.IntVar(&m.Options.Live.MaxSubscribers, "max-subscribers", 256, "concurrent subscribers of /live")
	m.Store.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if m.maxMemoryMiB < 1 {
		return fmt.Errorf("-max-memory-mib %d: must be at least 1", m.maxMemoryMiB)
	}
	m.Options.MaxMemoryBytes = m.maxMemoryMiB << 20
	return m.Options.Validate()
}

// Open connects to the store and builds the API, without serving it; Run
// calls it when it has not been called. It is separate so that a process
// that runs several components (orderctx dev) can share one connection
// (OpenOnConn).
func (m *Main) Open(ctx context.Context) error {
	if m.api != nil {
		return nil
	}
	conn, err := cosmosdb.Open(ctx, m.Store, m.Log)
	if err != nil {
		return err
	}
	if err := m.OpenOnConn(conn); err != nil {
		conn.Close()
		return err
	}
	m.conn = conn
	m.Log.Info("query side connected", "store", m.Store.Describe(), "database", conn.Database)
	return nil
}

// OpenOnConn builds the API on a connection the caller owns (and closes).
func (m *Main) OpenOnConn(conn *cosmosdb.Conn) error {
	api, err := NewOnConn(conn, m.Fold, m.Log, m.Options)
	if err != nil {
		return err
	}
	m.api = api
	return nil
}

// API returns the API that Open built, or nil before Open.
func (m *Main) API() *API { return m.api }

// Run follows the feeds and serves the API until ctx ends.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.api.Run(ctx, m.Addr)
}

// Close closes the store connection it opened (and stops an embedded store).
func (m *Main) Close() error {
	m.api = nil
	if m.conn == nil {
		return nil
	}
	err := m.conn.Close()
	m.conn = nil
	return err
}

// NewOnConn builds the query API on an open store connection: change-feed
// readers of the active views container (the views pointer) and of the
// events container, and the event store for the
// audit endpoints and prediction, set to load whole streams. fold may be nil
// (prediction then answers 501).
func NewOnConn(conn *cosmosdb.Conn, fold Fold, log *slog.Logger, opts Options) (*API, error) {
	if conn == nil {
		return nil, errors.New("queryapi: nil store connection")
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("queryapi: %w", err)
	}
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		return nil, fmt.Errorf("register order events: %w", err)
	}
	store := eventstore.New(conn, reg)
	// The audit shows every event, and a prediction needs the events after
	// the view, which may precede the latest snapshot: whole streams only.
	store.AcceptSnapshots(func(es.Snapshot) bool { return false })
	deps := Deps{
		Source:      viewsOnConn{conn: conn, pointer: viewpointer.New(conn)},
		Events:      feedreader.New(conn, cosmosdb.Events, 0),
		EventReader: store,
		History:     store,
	}
	if fold != nil {
		deps.Predictor = EventPredictor{Store: store, Fold: fold}
	}
	return New(deps, log, opts), nil
}

// viewsOnConn is the ViewsSource of a connection: the views pointer, and a
// lease-free change-feed reader per views container.
type viewsOnConn struct {
	conn    *cosmosdb.Conn
	pointer *viewpointer.Store
}

func (v viewsOnConn) ActiveViews(ctx context.Context) (string, error) {
	return v.pointer.ActiveViews(ctx)
}

func (v viewsOnConn) OpenViews(container string) Feed {
	return feedreader.New(v.conn, container, 0)
}
