package commandapi

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/benchkit"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
	"orderctx/infra/gctune"
)

// DefaultStatsInterval is how often the command API logs its counters
// (store requests per command, the state cache's hits and size).
const DefaultStatsInterval = time.Minute

// Main is the `orderctx commandapi` command: the command API on its event
// store. The store comes from the environment (COSMOS_ENDPOINT, COSMOS_KEY,
// COSMOS_DATABASE, ORDERCTX_DATA) and flags override it; without an endpoint
// it runs on the embedded store in-process, with its data under ./.orderctx.
type Main struct {
	Addr  string
	Store cosmosdb.Config
	Log   *slog.Logger
	// Cache bounds the state cache; NoCache turns it off, so that every
	// command reads its order from the store.
	Cache   orderapp.CacheConfig
	NoCache bool
	// StatsInterval is how often the counters are logged (0: never).
	StatsInterval time.Duration
	// CPUProfile, when set, names a file for a CPU profile of the process
	// until it stops.
	CPUProfile string

	conn    *cosmosdb.Conn
	api     *API
	service *orderapp.Service
}

// NewMain returns the command with its defaults and the environment's store settings.
func NewMain() *Main {
	return &Main{Addr: DefaultAddr, Store: cosmosdb.ConfigFromEnv(), Log: slog.Default(), StatsInterval: DefaultStatsInterval}
}

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("commandapi", flag.ContinueOnError)
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen address of the HTTP API (loopback by default)")
	m.Store.RegisterFlags(fs)
	cache := fs.Bool("cache", true, "keep each order's state in memory and decide without reading the store (the append's version check still decides)")
	fs.IntVar(&m.Cache.MaxEntries, "cache-entries", orderapp.DefaultCacheEntries, "most orders the state cache holds")
	fs.Int64Var(&m.Cache.MaxBytes, "cache-bytes", orderapp.DefaultCacheBytes, "most bytes (estimated) the state cache holds")
	fs.DurationVar(&m.StatsInterval, "stats-interval", m.StatsInterval, "how often to log store requests per command and the cache's counters (0: never)")
	fs.StringVar(&m.CPUProfile, "cpuprofile", "", "write a CPU profile of the process to this file until it stops")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m.NoCache = !*cache
	return m.Cache.Validate()
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
	var cache *orderapp.Cache
	if !m.NoCache {
		if err := m.Cache.Validate(); err != nil {
			conn.Close()
			return err
		}
		cache = orderapp.NewCache(m.Cache)
	}
	api, service, err := wire(conn, m.Log, orderapp.WithCache(cache))
	if err != nil {
		conn.Close()
		return err
	}
	m.conn, m.api, m.service = conn, api, service
	m.Log.Info("command side connected", "store", m.Store.Describe(), "database", conn.Database, "stateCache", cache != nil)
	return nil
}

// Run serves the API until ctx ends.
func (m *Main) Run(ctx context.Context) error {
	stopProfile, err := benchkit.CPUProfile(m.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if m.Store.Endpoint == "" {
		// The embedded store runs in this process, keeps every item in
		// memory and allocates per request, as `orderctx cosmos` does.
		gctune.ForInMemoryData()
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	if m.StatsInterval > 0 {
		statsCtx, stop := context.WithCancel(ctx)
		defer stop()
		go logStats(statsCtx, m.Log, m.service, m.StatsInterval)
	}
	return m.api.Run(ctx, m.Addr)
}

// Close closes the store connection (and stops an embedded store).
func (m *Main) Close() error {
	if m.conn == nil {
		return nil
	}
	err := m.conn.Close()
	m.conn, m.api, m.service = nil, nil, nil
	return err
}

// NewOnConn builds the command API on an open store connection: the order
// events' registry, the Cosmos DB event store, and the application service
// with a state cache of the default size (opts may replace it:
// orderapp.WithCache(nil) turns it off), and GET /debug/stats.
func NewOnConn(conn *cosmosdb.Conn, log *slog.Logger, opts ...orderapp.Option) (*API, error) {
	api, _, err := wire(conn, log, opts...)
	return api, err
}

func wire(conn *cosmosdb.Conn, log *slog.Logger, opts ...orderapp.Option) (*API, *orderapp.Service, error) {
	if conn == nil {
		return nil, nil, errors.New("commandapi: nil store connection")
	}
	reg, err := order.NewRegistry()
	if err != nil {
		return nil, nil, err
	}
	store := eventstore.New(conn, reg)
	store.AcceptSnapshots(order.AcceptsSnapshot)
	opts = append([]orderapp.Option{orderapp.WithCache(orderapp.NewCache(orderapp.CacheConfig{}))}, opts...)
	service := orderapp.NewService(store, reg, es.SystemClock{}, store.Ready, opts...)
	api := New(service, log, Options{})
	serveStats(api, service)
	return api, service, nil
}
