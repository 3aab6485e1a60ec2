// Package projector folds order events into order views (the views
// container), the read side of orderctx. It is a parking.Handler: the
// parking.Consumer around it decodes the change feed's documents and parks
// what can never be applied.
//
// Per batch it reads the views the batch touches (one round trip), folds each
// order's new events into its view through the domain (orderview.Apply), and
// writes each changed view once, conditioned on the etag it read:
//   - Idempotent: an event at or below the view's version is skipped, so
//     re-delivered batches and duplicates change nothing.
//   - Gaps: an event more than one version ahead of its view means events are
//     missing; the batch fails (the host retries it) and writes nothing.
//     The projector never guesses.
//   - Conflicts: a create that finds the view exists (409) or a replace whose
//     etag no longer matches (412) means another projector wrote it; the view
//     is read again and the events re-applied on top, so no update is lost.
//   - Poison: an event the domain refuses is reported as a parking.PoisonError.
package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"orderctx/domain/es"
	"orderctx/domain/orderview"
	"orderctx/functions"
	"orderctx/functions/parking"
)

// Name is the projector's persistent consumer name: its lease prefix and its
// partition in the deadletters container. It must never change.
const Name = "projector"

// Defaults of Config.
const (
	DefaultConcurrency = 16
	DefaultMaxAttempts = 10
)

// Stored is a view as stored, with the etag that a conditional replace needs.
type Stored struct {
	View orderview.View
	ETag string
}

// Views is the projector's port onto the views container.
type Views interface {
	// Get returns the stored views among ids, in one round trip; ids without
	// a view are absent from the map. Errors: es.Unavailable.
	Get(ctx context.Context, ids []string) (map[string]Stored, error)
	// Create stores a view that does not exist yet.
	// Errors: es.ErrConcurrency (wrapped) when it exists; es.Unavailable.
	Create(ctx context.Context, v orderview.View) error
	// Replace stores v over the view stored with etag.
	// Errors: es.ErrConcurrency (wrapped) when the stored view has another
	// etag or is gone; es.Unavailable.
	Replace(ctx context.Context, v orderview.View, etag string) error
}

// Config wires a Projector.
type Config struct {
	Views Views
	// Log receives gap reports; nil discards.
	Log *slog.Logger
	// Concurrency bounds the view writes of one batch in flight (default
	// DefaultConcurrency): each view is a partition of its own, so writes
	// cannot be batched, only overlapped.
	Concurrency int
	// MaxAttempts bounds the writes of one view per batch when other writers
	// keep changing it (default DefaultMaxAttempts); then the batch fails
	// and is retried.
	MaxAttempts int
}

// Projector is the order view projector.
type Projector struct {
	views       Views
	log         *slog.Logger
	concurrency int
	maxAttempts int
}

var _ parking.Handler = (*Projector)(nil)

// New returns a Projector, or what is wrong with cfg.
func New(cfg Config) (*Projector, error) {
	if cfg.Views == nil {
		return nil, errors.New("projector: Views is required")
	}
	if cfg.Concurrency < 0 || cfg.MaxAttempts < 0 {
		return nil, fmt.Errorf("projector: Concurrency %d and MaxAttempts %d must not be negative", cfg.Concurrency, cfg.MaxAttempts)
	}
	p := &Projector{views: cfg.Views, log: cfg.Log, concurrency: cfg.Concurrency, maxAttempts: cfg.MaxAttempts}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.concurrency == 0 {
		p.concurrency = DefaultConcurrency
	}
	if p.maxAttempts == 0 {
		p.maxAttempts = DefaultMaxAttempts
	}
	return p, nil
}

// NewConsumer returns the projector as a change-feed consumer: decoding
// through reg and parking in letters under Name.
func NewConsumer(cfg Config, reg *es.Registry, letters parking.Store) (*parking.Consumer, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return parking.New(parking.Config{Consumer: Name, Registry: reg, Store: letters, Handler: p, Log: cfg.Log})
}

// HandleEvents implements parking.Handler.
func (p *Projector) HandleEvents(ctx context.Context, events []es.Envelope) (functions.Result, error) {
	streams, ignored := group(events)
	stored, err := p.views.Get(ctx, toRead(streams))
	if err != nil {
		return functions.Result{}, fmt.Errorf("read views: %w", err)
	}
	var changes []*change
	var gaps, poisons []error
	for _, s := range streams {
		c, err := s.plan(stored)
		switch {
		case errors.As(err, new(*GapError)):
			p.log.Warn("gap in a stream: waiting for the missing events", "streamId", s.streamID, "err", err)
			gaps = append(gaps, err)
		case errors.As(err, new(*parking.PoisonError)):
			poisons = append(poisons, err)
		case err != nil:
			return functions.Result{}, err
		case c != nil:
			changes = append(changes, c)
		}
	}
	if len(gaps) > 0 {
		return functions.Result{}, fmt.Errorf("%d streams have gaps, nothing written: %w", len(gaps), errors.Join(gaps...))
	}
	if len(poisons) > 0 {
		return functions.Result{}, errors.Join(poisons...)
	}
	retries, err := p.writeAll(ctx, changes)
	if err != nil {
		return functions.Result{}, err
	}
	return functions.Result{Logs: []string{summary(events, streams, changes, ignored, retries)}}, nil
}

// writeAll writes the changed views, overlapping the writes, and returns how
// many writes lost a race and were redone.
func (p *Projector) writeAll(ctx context.Context, changes []*change) (int, error) {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(p.concurrency)
	retries := make([]int, len(changes))
	for i, c := range changes {
		g.Go(func() error {
			n, err := p.write(ctx, c)
			retries[i] = n
			return err
		})
	}
	err := g.Wait()
	total := 0
	for _, n := range retries {
		total += n
	}
	return total, err
}

func summary(events []es.Envelope, streams []*stream, changes []*change, ignored, retries int) string {
	applied := 0
	for _, c := range changes {
		applied += len(c.pending)
	}
	return fmt.Sprintf("%s: %d events: %d applied to %d views, %d already applied, %d not of orders; %d writes redone after a conflict",
		Name, len(events), applied, len(changes), len(events)-applied-ignored, ignored, retries)
}
