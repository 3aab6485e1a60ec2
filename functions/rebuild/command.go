package rebuild

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/pgcopy"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/pgviews"
)

// ViewsMain is the `orderctx rebuild views` command. The store comes from
// the environment and flags as for every command (COSMOS_ENDPOINT...);
// progress goes to standard error.
type ViewsMain struct {
	Store   cosmosdb.Config
	Options ViewsOptions
	Log     *slog.Logger
	conn    *cosmosdb.Conn
}

// NewViewsMain returns the command with its defaults.
func NewViewsMain() *ViewsMain {
	return &ViewsMain{Store: cosmosdb.ConfigFromEnv(), Log: slog.Default()}
}

// ParseFlags reads the command line.
func (m *ViewsMain) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("rebuild views", flag.ContinueOnError)
	fs.StringVar(&m.Options.Container, "container", "", "the new views container (default: the next generation, views-2 after views)")
	fs.BoolVar(&m.Options.DropOld, "drop-old", false, "drop the old views container at the end (default: keep it)")
	fs.BoolVar(&m.Options.AllowDifferences, "allow-diff", false, "switch even if the rebuilt views differ from the live ones")
	fs.DurationVar(&m.Options.Grace, "grace", DefaultGrace, "how long the new container is still filled after the switch")
	fs.DurationVar(&m.Options.VerifyTimeout, "verify-timeout", DefaultVerifyTimeout, "how long to wait for the copies to agree")
	fs.DurationVar(&m.Options.ClaimTTL, "claim-ttl", DefaultClaimTTL, "how long the claim outlives a killed rebuild")
	m.Store.RegisterFlags(fs)
	return fs.Parse(args)
}

// Run rebuilds the views.
func (m *ViewsMain) Run(ctx context.Context) error {
	conn, reg, err := open(ctx, m.Store, m.Log)
	if err != nil {
		return err
	}
	m.conn = conn
	rep, err := NewViews(conn, reg, m.Options, os.Stderr, m.Log).Run(ctx)
	if err != nil {
		return err
	}
	m.Log.Info("views rebuilt", "from", rep.From, "to", rep.Target, "resumed", rep.Resumed, "events", rep.Events,
		"identical", rep.Differences.Same, "dropped", rep.Dropped)
	return nil
}

// Close closes the store connection.
func (m *ViewsMain) Close() error { return closeConn(&m.conn) }

// PostgresMain is the `orderctx rebuild postgres` command.
type PostgresMain struct {
	Store   cosmosdb.Config
	DSN     string
	Options PostgresOptions
	Log     *slog.Logger
	conn    *cosmosdb.Conn
}

// NewPostgresMain returns the command with its defaults.
func NewPostgresMain() *PostgresMain {
	return &PostgresMain{Store: cosmosdb.ConfigFromEnv(), DSN: os.Getenv(pgcopy.EnvDSN), Log: slog.Default()}
}

// ParseFlags reads the command line.
func (m *PostgresMain) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("rebuild postgres", flag.ContinueOnError)
	fs.StringVar(&m.DSN, "dsn", m.DSN, "the PostgreSQL database (a postgres:// URL; default "+pgcopy.EnvDSN+")")
	fs.BoolVar(&m.Options.Reset, "reset", false, "empty the tables first")
	fs.BoolVar(&m.Options.Verify, "verify", true, "compare the copy with the active views at the end")
	fs.DurationVar(&m.Options.VerifyTimeout, "verify-timeout", DefaultVerifyTimeout, "how long to wait for the copies to agree")
	fs.DurationVar(&m.Options.ClaimTTL, "claim-ttl", DefaultClaimTTL, "how long the claim outlives a killed rebuild")
	m.Store.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if m.DSN == "" {
		return fmt.Errorf("-dsn: no PostgreSQL database given (nor %s)", pgcopy.EnvDSN)
	}
	return nil
}

// Run fills the copy.
func (m *PostgresMain) Run(ctx context.Context) error {
	store, err := pgviews.Open(m.DSN)
	if err != nil {
		return err
	}
	defer store.Close()
	conn, reg, err := open(ctx, m.Store, m.Log)
	if err != nil {
		return err
	}
	m.conn = conn
	rep, err := NewPostgres(conn, reg, store, m.Options, os.Stderr, m.Log).Run(ctx)
	if err != nil {
		return err
	}
	m.Log.Info("PostgreSQL copy rebuilt", "resumed", rep.Resumed, "events", rep.Events, "orders", rep.Orders, "items", rep.Items)
	return nil
}

// Close closes the store connection.
func (m *PostgresMain) Close() error { return closeConn(&m.conn) }

// open connects to the store and registers the order events.
func open(ctx context.Context, cfg cosmosdb.Config, log *slog.Logger) (*cosmosdb.Conn, *es.Registry, error) {
	reg, err := order.NewRegistry()
	if err != nil {
		return nil, nil, err
	}
	conn, err := cosmosdb.Open(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return conn, reg, nil
}

func closeConn(conn **cosmosdb.Conn) error {
	if *conn == nil {
		return nil
	}
	err := (*conn).Close()
	*conn = nil
	return err
}
