package rebuild

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"orderctx/domain/es"
	"orderctx/functions/pgcopy"
	"orderctx/infra/claim"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/deadletters"
	"orderctx/infra/pgviews"
	"orderctx/infra/replay"
	"orderctx/infra/viewpointer"
)

// PostgresPrefix is the lease prefix of the PostgreSQL backfill's reader.
const PostgresPrefix = "rebuild.postgres."

// PostgresOptions tune a rebuild of the PostgreSQL copy.
type PostgresOptions struct {
	// Reset empties the tables first (a fresh run only, not a resumed one).
	Reset bool
	// Verify compares the copy with the active views container at the end.
	Verify        bool
	VerifyTimeout time.Duration
	ClaimTTL      time.Duration
	PollDelay     time.Duration
	Owner         string
	Progress      func(Progress)
}

// postgresState is the backfill's record, saved with its claim.
type postgresState struct {
	Started time.Time `json:"started"`
}

// PostgresReport is what a backfill did.
type PostgresReport struct {
	Resumed       bool
	Events        int64
	Orders, Items int64
	Differences   *Differences
}

// Postgres fills the PostgreSQL copy from the events: the CopyOrdersToPostgres
// consumer run by a reader of its own from the beginning of the feed. Rows
// are written by version, so it is safe while that consumer runs too.
type Postgres struct {
	conn   *cosmosdb.Conn
	reg    *es.Registry
	store  *pgviews.Store
	opts   PostgresOptions
	out    io.Writer
	log    *slog.Logger
	claims *claim.Store
}

// NewPostgres returns the backfill of store from conn's events.
func NewPostgres(conn *cosmosdb.Conn, reg *es.Registry, store *pgviews.Store, opts PostgresOptions, out io.Writer, log *slog.Logger) *Postgres {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.ClaimTTL <= 0 {
		opts.ClaimTTL = DefaultClaimTTL
	}
	if opts.VerifyTimeout <= 0 {
		opts.VerifyTimeout = DefaultVerifyTimeout
	}
	if opts.PollDelay <= 0 {
		opts.PollDelay = replay.DefaultPollDelay
	}
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	return &Postgres{conn: conn, reg: reg, store: store, opts: opts, out: out, log: log, claims: claim.New(conn)}
}

// Run fills the copy until it has caught up with the events, or resumes the
// run the claim records; the errors are those of Views.Run.
func (p *Postgres) Run(ctx context.Context) (rep PostgresReport, err error) {
	k, ctx, cancel, err := hold(ctx, p.claims, PostgresClaim, p.opts.Owner, p.opts.ClaimTTL, p.log)
	if err != nil {
		return rep, err
	}
	defer func() {
		// A copy that differs is complete all the same: the claim goes.
		cancel(nil) // stops the renewal first
		if ferr := k.finish(err == nil || errors.Is(err, ErrDifferent)); err == nil {
			err = ferr
		}
	}()
	var st postgresState
	if err := k.state(&st); err != nil {
		return rep, err
	}
	m := newMeter(p.out, p.opts.Progress)
	if err := p.store.Migrate(ctx); err != nil {
		return rep, err
	}
	if rep.Resumed = !st.Started.IsZero(); rep.Resumed {
		m.say("resuming the PostgreSQL copy begun at %s", st.Started.Format(time.RFC3339))
	} else {
		if p.opts.Reset {
			if err := p.store.Reset(ctx); err != nil {
				return rep, err
			}
		}
		if err := k.save(ctx, postgresState{Started: time.Now().UTC()}); err != nil {
			return rep, err
		}
	}
	if err := p.fill(ctx, &rep, m); err != nil {
		return rep, err
	}
	if _, err := replay.DeleteLeases(ctx, p.conn, PostgresPrefix); err != nil {
		return rep, err
	}
	if rep.Orders, rep.Items, err = p.store.Counts(ctx); err != nil {
		return rep, err
	}
	if p.opts.Verify {
		if err := p.verify(ctx, &rep, m); err != nil {
			return rep, err
		}
	}
	m.say("done: %d orders and %d items in PostgreSQL", rep.Orders, rep.Items)
	return rep, nil
}

// fill replays every event into the copy until caught up.
func (p *Postgres) fill(ctx context.Context, rep *PostgresReport, m *meter) error {
	quiet := slog.New(atLeastWarn{p.log.Handler()})
	c, err := pgcopy.NewConsumer(p.store, p.reg, deadletters.New(p.conn), quiet)
	if err != nil {
		return err
	}
	r, err := startReader(ctx, p.conn, PostgresPrefix, c, p.opts.PollDelay, quiet)
	if err != nil {
		return err
	}
	err = waitCaughtUp(ctx, r.r, r.failed, m, "filling postgres", time.Time{})
	rep.Events = r.r.Progress().Processed
	if serr := r.stop(); err == nil {
		err = serr
	}
	return err
}

// verify compares the copy with the active views container.
func (p *Postgres) verify(ctx context.Context, rep *PostgresReport, m *meter) error {
	active, err := viewpointer.New(p.conn).ActiveViews(ctx)
	if err != nil {
		return err
	}
	m.say("verifying the copy against %s", active)
	d, err := verify(ctx, newFeedSide(p.conn, active, digestViewDocument), pgSide{p.store}, p.opts.VerifyTimeout, m)
	rep.Differences = &d
	if err != nil {
		return err
	}
	m.say("verified: %s", d)
	if !d.OK() {
		return &DifferentError{Differences: d}
	}
	return nil
}

// DifferentError is returned by a verified backfill whose copy does not
// match the views; it wraps ErrDifferent.
type DifferentError struct{ Differences Differences }

func (e *DifferentError) Error() string {
	return "the PostgreSQL copy differs from the views: " + e.Differences.String()
}
func (e *DifferentError) Unwrap() error { return ErrDifferent }
