package funchost

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"orderctx/functions"
	"orderctx/functions/consumers"
	"orderctx/functions/funcapp"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
)

// Main is the `orderctx funchost` command. Without -handler-url it runs the
// app's consumers in process (with their store connection and bus); with it,
// it only owns the leases and POSTs batches to that `orderctx functions`.
type Main struct {
	AppRoot    string
	HandlerURL string
	Store      cosmosdb.Config
	// NATSListen is where the embedded NATS server listens (in-process
	// consumers without NATS_URL or Service Bus settings).
	NATSListen    string
	Poll, MaxPoll time.Duration
	BatchDelay    time.Duration
	RelaxedDelay  time.Duration
	LeaseExpiry   time.Duration
	SnapshotEvery int64
	StatsEvery    time.Duration
	// StatsAddr, when set, serves GET /debug/stats (StatsDocument) there.
	StatsAddr string
	Getenv    func(string) string
	Log       *slog.Logger

	closers []func() error
}

// NewMain returns the command with its defaults.
func NewMain() *Main {
	return &Main{AppRoot: funcapp.RootFromEnv(os.Getenv), Store: cosmosdb.ConfigFromEnv(), NATSListen: natsbus.DefaultListen,
		Poll: DefaultFeedPollDelay, MaxPoll: DefaultMaxFeedPollDelay, BatchDelay: DefaultBatchDelay, StatsEvery: 30 * time.Second, Getenv: os.Getenv, Log: slog.Default()}
}

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("funchost", flag.ContinueOnError)
	fs.StringVar(&m.AppRoot, "app", m.AppRoot, "Functions app root: host.json and one folder per function")
	fs.StringVar(&m.HandlerURL, "handler-url", "", "an `orderctx functions` process to invoke (default: the consumers in process)")
	fs.StringVar(&m.NATSListen, "nats-listen", m.NATSListen, "address of the embedded NATS server (when NATS_URL is not set)")
	fs.DurationVar(&m.Poll, "feed-poll-delay", m.Poll, "wait after a read that found nothing (negative: function.json's feedPollDelay)")
	fs.DurationVar(&m.MaxPoll, "max-feed-poll-delay", m.MaxPoll, "the wait grows up to this while the feed stays quiet")
	fs.DurationVar(&m.BatchDelay, "batch-delay", m.BatchDelay, "wait after a short batch before reading again, so batches gather (negative: none)")
	fs.DurationVar(&m.RelaxedDelay, "relaxed-batch-delay", DefaultRelaxedBatchDelay, "the batch delay of functions whose function.json feedPollDelay is above 1s (negative: -batch-delay)")
	fs.DurationVar(&m.LeaseExpiry, "lease-expiration", 0, "override leaseExpirationInterval (renew and acquire at a quarter of it)")
	fs.Int64Var(&m.SnapshotEvery, "snapshot-every", 0, "snapshot an order every N events (0: 50)")
	fs.DurationVar(&m.StatsEvery, "stats-every", m.StatsEvery, "how often to log each consumer's position, lag, rate and parked count")
	fs.StringVar(&m.StatsAddr, "stats-addr", "", "serve GET /debug/stats (each function's lag, rate, parked count, store charge) on this address; empty: off")
	m.Store.RegisterFlags(fs)
	return fs.Parse(args)
}

// Run hosts the functions until ctx ends.
func (m *Main) Run(ctx context.Context) error {
	app, err := funcapp.Load(m.AppRoot, m.Getenv)
	if err != nil {
		return err
	}
	conn, err := m.open(ctx, app)
	if err != nil {
		return err
	}
	m.closers = append(m.closers, conn.Close)
	cfg := Config{App: app, Conn: conn, HandlerURL: m.HandlerURL, FeedPollDelay: m.Poll, MaxFeedPollDelay: m.MaxPoll,
		BatchDelay: m.BatchDelay, RelaxedBatchDelay: m.RelaxedDelay,
		LeaseExpiration: m.LeaseExpiry, Log: m.Log}
	var set *consumers.Set
	if m.HandlerURL == "" {
		bus, err := consumers.OpenBus(ctx, consumers.BusConfig{Getenv: m.Getenv, DataDir: m.Store.DataDir, Memory: m.Store.Memory, Listen: m.NATSListen, Log: m.Log})
		if err != nil {
			return err
		}
		m.closers = append(m.closers, bus.Close)
		m.Log.Info("integration events", "bus", bus.URL)
		if set, err = consumers.Build(consumers.Config{Conn: conn, Bus: bus, SnapshotEvery: m.SnapshotEvery, Getenv: m.Getenv, Log: m.Log,
			LeaseSignals: true}); err != nil {
			return err
		}
		// Closed before the bus (last opened first): the PostgreSQL copy's pool.
		m.closers = append(m.closers, set.Close)
		if cfg.Handler, err = functions.NewHandler(app, set.Consumers, functions.Options{Log: m.Log}); err != nil {
			return err
		}
		cfg.Off, cfg.LeaseAcquired = set.Off, set.LeaseAcquired
	}
	host, err := New(cfg)
	if err != nil {
		return err
	}
	go Report(ctx, host, set, m.StatsEvery, m.Log)
	m.Log.Info("funchost running", "functions", len(app.Functions), "store", m.Store.Describe())
	if m.StatsAddr == "" {
		return host.Run(ctx)
	}
	ln, err := net.Listen("tcp", m.StatsAddr)
	if err != nil {
		return fmt.Errorf("funchost statistics: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ServeStats(ctx, ln, host, set, m.Log) }()
	err = host.Run(ctx)
	cancel()
	if serr := <-served; err == nil {
		err = serr
	}
	return err
}

// open connects to the store the functions' trigger connection names
// (<conn>__accountEndpoint or a connection string), else to the one the
// environment and flags configure (the embedded store by default).
func (m *Main) open(ctx context.Context, app *funcapp.App) (*cosmosdb.Conn, error) {
	cfg := m.Store
	if len(app.Functions) > 0 {
		fromSetting, err := app.Functions[0].Trigger.ConnectionConfig(m.Getenv)
		switch {
		case err == nil:
			fromSetting.DataDir, fromSetting.Database = cfg.DataDir, cfg.Database
			cfg = fromSetting
		case !errors.Is(err, funcapp.ErrNoConnection):
			return nil, err
		}
	}
	m.Store = cfg
	return cosmosdb.Open(ctx, cfg, m.Log)
}

// Close closes the bus and the store connection, last opened first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// Report logs every interval, per function and lease: the owner, the lease
// position, the lag in events and seconds, the rate, and the parked count.
func Report(ctx context.Context, host *Host, set *consumers.Set, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var parked map[string]int64
		if set != nil {
			parked = set.Parked()
		}
		for name, fs := range host.Summary(parked).Functions {
			log.Info("consumer", "function", name, "leases", fs.Leases, "held", fs.Held, "lagEvents", fs.LagEvents,
				"lagSeconds", fs.LagSeconds, "eventsPerSecond", fs.EventsPerSecond, "parked", fs.Parked, "ru", fs.RequestCharge)
		}
	}
}
