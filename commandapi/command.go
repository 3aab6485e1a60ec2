package commandapi

import (
	"context"
	"errors"
	"flag"
	"log/slog"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
)

// Main is the `orderctx commandapi` command: the command API on its event
// store. The store comes from the environment (COSMOS_ENDPOINT, COSMOS_KEY,
// COSMOS_DATABASE, ORDERCTX_DATA) and flags override it; without an endpoint
// it runs on the embedded store in-process, with its data under ./.orderctx.
type Main struct {
	Addr  string
	Store cosmosdb.Config
	Log   *slog.Logger

	conn *cosmosdb.Conn
	api  *API
}

// NewMain returns the command with its defaults and the environment's store settings.
func NewMain() *Main {
	return &Main{Addr: DefaultAddr, Store: cosmosdb.ConfigFromEnv(), Log: slog.Default()}
}

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("commandapi", flag.ContinueOnError)
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen address of the HTTP API (loopback by default)")
	m.Store.RegisterFlags(fs)
	return fs.Parse(args)
}

// Open connects to the store and builds the API, without serving it; Run
// calls it when it has not been called. It is separate so that a process that
// runs several components (orderctx dev) can share one connection.
func (m *Main) Open(ctx context.Context) error {
	if m.api != nil {
		return nil
	}
	conn, err := cosmosdb.Open(ctx, m.Store, m.Log)
	if err != nil {
		return err
	}
	api, err := NewOnConn(conn, m.Log)
	if err != nil {
		conn.Close()
		return err
	}
	m.conn, m.api = conn, api
	m.Log.Info("command side connected", "store", m.Store.Describe(), "database", conn.Database)
	return nil
}

// Run serves the API until ctx ends.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.api.Run(ctx, m.Addr)
}

// Close closes the store connection (and stops an embedded store).
func (m *Main) Close() error {
	if m.conn == nil {
		return nil
	}
	err := m.conn.Close()
	m.conn, m.api = nil, nil
	return err
}

// NewOnConn builds the command API on an open store connection: the order
// events' registry, the Cosmos DB event store, and the application service.
func NewOnConn(conn *cosmosdb.Conn, log *slog.Logger) (*API, error) {
	if conn == nil {
		return nil, errors.New("commandapi: nil store connection")
	}
	reg, err := order.NewRegistry()
	if err != nil {
		return nil, err
	}
	store := eventstore.New(conn, reg)
	store.AcceptSnapshots(order.AcceptsSnapshot)
	service := orderapp.NewService(store, reg, es.SystemClock{}, store.Ready)
	return New(service, log, Options{}), nil
}
