// Package verify is the `orderctx verify` command: it checks a whole store
// (functions/verify/check) read from Cosmos DB and the integration-event
// stream, prints the differences or a summary line, and fails when it finds
// a difference. See docs/verify.md.
package verify

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"orderctx/functions/pgcopy"
	"orderctx/functions/verify/check"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/feedreader"
	"orderctx/infra/pgviews"
)

// Exit statuses, as diff uses them: 1 when the store is inconsistent, 2 when
// it could not be checked.
const (
	ExitDifferences = 1
	ExitTrouble     = 2
)

// DefaultPageSize is the documents asked for per change-feed read.
const DefaultPageSize = 1000

// progressEvery is how often a long check logs where it is.
const progressEvery = 5 * time.Second

// Main is the `orderctx verify` command.
type Main struct {
	Store    cosmosdb.Config
	NATSURL  string
	SkipBus  bool
	JSON     bool
	MaxDiffs int
	PageSize int
	// AcksFile names an acks file (ReadAcks): every command in it must be
	// in the store, once. Empty: none.
	AcksFile string
	// PostgresDSN names the PostgreSQL copy of the views (the setting
	// pgcopy.EnvDSN): when set, its rows are checked like the views
	// container's documents. Empty: no copy.
	PostgresDSN string
	Out         io.Writer
	// Log receives progress and the store's warnings; nil: slog.Default()
	// when Run starts (main sets it up after building the command).
	Log *slog.Logger

	closers []func() error
}

// NewMain returns the command with its defaults: the store from the
// environment (COSMOS_*, ORDERCTX_DATA) and NATS_URL.
func NewMain() *Main {
	return &Main{Store: cosmosdb.ConfigFromEnv(), NATSURL: os.Getenv("NATS_URL"), PostgresDSN: os.Getenv(pgcopy.EnvDSN),
		MaxDiffs: check.DefaultMaxDiffs, PageSize: DefaultPageSize, Out: os.Stdout}
}

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	m.Store.RegisterFlags(fs)
	fs.StringVar(&m.NATSURL, "nats-url", m.NATSURL, "NATS server holding the ORDERS stream (NATS_URL); empty with the embedded store: open its data directory's JetStream")
	fs.BoolVar(&m.SkipBus, "skip-bus", false, "do not check the integration events (say, when they go to Azure Service Bus)")
	fs.BoolVar(&m.JSON, "json", false, "print the report as one JSON document")
	fs.IntVar(&m.MaxDiffs, "max-diffs", m.MaxDiffs, "print at most this many differences and parked events (all are counted)")
	fs.IntVar(&m.PageSize, "page-size", m.PageSize, "documents per change-feed read")
	fs.StringVar(&m.AcksFile, "acks", "", "a file of acknowledged commands (JSON lines): each must be in the store, once")
	fs.StringVar(&m.PostgresDSN, "postgres-dsn", m.PostgresDSN, "the PostgreSQL copy of the views to check too ("+pgcopy.EnvDSN+"; empty: none)")
	return fs.Parse(args)
}

// Error is a failed verify with its exit status.
type Error struct {
	Status int
	Err    error
}

func (e *Error) Error() string   { return e.Err.Error() }
func (e *Error) Unwrap() error   { return e.Err }
func (e *Error) ExitStatus() int { return e.Status }

// Run checks the store and prints the report. It returns an *Error with
// ExitDifferences when the check found differences, and with ExitTrouble
// when it could not check.
func (m *Main) Run(ctx context.Context) error {
	if m.Log == nil {
		m.Log = slog.Default()
	}
	report, err := m.check(ctx)
	if err != nil {
		return &Error{Status: ExitTrouble, Err: fmt.Errorf("verify: %w", err)}
	}
	if err := m.print(report); err != nil {
		return &Error{Status: ExitTrouble, Err: err}
	}
	if !report.OK() {
		return &Error{Status: ExitDifferences, Err: fmt.Errorf("verify: %s", plural(report.DifferenceCount, "difference"))}
	}
	return nil
}

func (m *Main) check(ctx context.Context) (*check.Report, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	var acks []check.Ack
	if m.AcksFile != "" {
		var err error
		if acks, err = ReadAcks(m.AcksFile); err != nil {
			return nil, fmt.Errorf("-acks: %w", err)
		}
	}
	m.Store.SkipCreate = true // verify reads; a store that is not there is an error, not an empty store
	conn, err := cosmosdb.Open(ctx, m.Store, m.Log)
	if err != nil {
		return nil, err
	}
	m.closers = append(m.closers, conn.Close)
	src := check.Sources{
		Events:    feedreader.New(conn, cosmosdb.Events, m.PageSize),
		Snapshots: feedreader.New(conn, cosmosdb.Snapshots, m.PageSize),
		Letters:   feedreader.New(conn, cosmosdb.DeadLetters, m.PageSize),
		Views:     []check.ViewSource{{Name: cosmosdb.Views, Feed: feedreader.New(conn, cosmosdb.Views, m.PageSize)}},
	}
	if m.PostgresDSN != "" {
		pg, err := pgviews.Open(m.PostgresDSN)
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, func() error { pg.Close(); return nil })
		src.Views = append(src.Views, check.ViewSource{Name: PostgresSource, Feed: &postgresFeed{store: pg}, Stored: storedInPostgres})
	}
	if !m.SkipBus {
		bus, err := m.openBus(ctx)
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, bus.Close)
		src.Bus = bus
	}
	return check.Run(ctx, src, check.Options{MaxDiffs: m.MaxDiffs, Progress: m.progress(), Acks: acks})
}

// validate refuses what cannot be checked, before anything is opened.
func (m *Main) validate() error {
	var errs []error
	if m.Store.Memory {
		errs = append(errs, errors.New("-memory: an empty in-memory store has nothing to check"))
	}
	if m.PageSize < 1 {
		errs = append(errs, fmt.Errorf("-page-size %d: want at least 1", m.PageSize))
	}
	if m.Store.Endpoint != "" && m.NATSURL == "" && !m.SkipBus {
		errs = append(errs, errors.New("the integration events of a remote store: set NATS_URL (or -nats-url), or -skip-bus"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if m.Store.Endpoint == "" {
		return embeddedAvailable(filepath.Join(m.dataDir(), "cosmos"))
	}
	return nil
}

// openBus reads NATS_URL's stream or, with the embedded store, the JetStream
// storage in its data directory (nothing else may run on it).
func (m *Main) openBus(ctx context.Context) (*natsbus.Reader, error) {
	c := natsbus.Config{URL: m.NATSURL}
	if c.URL == "" {
		c.DataDir = filepath.Join(m.dataDir(), "nats")
		if _, err := os.Stat(c.DataDir); err != nil {
			return nil, fmt.Errorf("no embedded broker in %s (set NATS_URL, or -skip-bus): %w", c.DataDir, err)
		}
	}
	r, err := natsbus.OpenReader(ctx, c)
	if errors.Is(err, natsbus.ErrNoStream) {
		return nil, fmt.Errorf("%w (-skip-bus checks the store alone)", err)
	}
	return r, err
}

func (m *Main) dataDir() string {
	if m.Store.DataDir == "" {
		return ".orderctx"
	}
	return m.Store.DataDir
}

// progress logs the phase and its count at most every progressEvery.
func (m *Main) progress() func(string, int) {
	last := time.Now()
	return func(phase string, n int) {
		if time.Since(last) >= progressEvery {
			last = time.Now()
			m.Log.Info("verify", "phase", phase, "read", n)
		}
	}
}

// Close closes the bus reader and the store connection, last opened first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}
