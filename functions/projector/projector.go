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
//
// Views it has read or written stay in a bounded cache (Config.CacheViews),
// so catching up on a backlog reads a view from the store about once; the
// etag conditions keep a stale cache entry from doing harm.
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
	"orderctx/functions/internal/fanout"
	"orderctx/functions/parking"
)

// Name is the projector's persistent consumer name: its lease prefix and its
// partition in the deadletters container. It must never change.
const Name = "projector"

// Defaults of Config.
const (
	DefaultConcurrency = 64
	DefaultMaxAttempts = 10
	DefaultCacheViews  = 10_000
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
	// Create stores a view that does not exist yet and returns its etag.
	// Errors: es.ErrConcurrency (wrapped) when it exists; es.Unavailable.
	Create(ctx context.Context, v orderview.View) (string, error)
	// Replace stores v over the view stored with etag and returns the new etag.
	// Errors: es.ErrConcurrency (wrapped) when the stored view has another
	// etag or is gone; es.Unavailable.
	Replace(ctx context.Context, v orderview.View, etag string) (string, error)
}

// Config wires a Projector.
type Config struct {
	Views Views
	// Log receives gap reports; nil discards.
	Log *slog.Logger
	// Concurrency bounds the view writes of one batch in flight (default
	// DefaultConcurrency): each view is a partition of its own, so writes
	// cannot be batched, only overlapped. With Cosmos DB's write latency of
	// several milliseconds, a batch of 100 views then takes two rounds.
	Concurrency int
	// MaxAttempts bounds the writes of one view per batch when other writers
	// keep changing it (default DefaultMaxAttempts); then the batch fails
	// and is retried.
	MaxAttempts int
	// CacheViews is how many views to keep in memory (default
	// DefaultCacheViews, about 1 KB each; negative: none).
	CacheViews int
}

// Projector is the order view projector.
type Projector struct {
	views       Views
	log         *slog.Logger
	concurrency int
	maxAttempts int
	cache       *cache
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
	if cfg.CacheViews == 0 {
		cfg.CacheViews = DefaultCacheViews
	}
	p.cache = newCache(cfg.CacheViews)
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
	changes, err := p.planAll(ctx, streams)
	if err != nil {
		return functions.Result{}, err
	}
	retries, err := p.writeAll(ctx, changes)
	if err != nil {
		return functions.Result{}, err
	}
	return functions.Result{Logs: []string{summary(events, changes, ignored, retries)}}, nil
}

// planAll folds every stream's new events into its view. Nothing is written
// when a stream has a gap (a transient error) or a poison event (reported
// as parking.PoisonErrors, so that the batch runs again without them).
func (p *Projector) planAll(ctx context.Context, streams []*stream) ([]*change, error) {
	bases, cached, err := p.bases(ctx, streams)
	if err != nil {
		return nil, err
	}
	plans := make([]plan, len(streams))
	fanout.Each(len(streams), func(i int) {
		plans[i].c, plans[i].err = streams[i].planOn(bases[streams[i].orderID])
	})
	var out outcome
	var recheck []*stream
	for i, s := range streams {
		if cached[s.orderID] && errors.As(plans[i].err, new(*GapError)) {
			recheck = append(recheck, s) // the cache may be behind the store
		} else if err := out.add(plans[i].c, plans[i].err); err != nil {
			return nil, err
		}
	}
	if err := p.recheck(ctx, recheck, &out); err != nil {
		return nil, err
	}
	for _, g := range out.gaps {
		p.log.Warn("gap in a stream: waiting for the missing events", "err", g)
	}
	return out.changes, out.err()
}

// recheck plans again, on the stored views, the streams that showed a gap on
// their cached views.
func (p *Projector) recheck(ctx context.Context, streams []*stream, out *outcome) error {
	if len(streams) == 0 {
		return nil
	}
	stored, err := p.read(ctx, orderIDs(streams))
	if err != nil {
		return err
	}
	for _, s := range streams {
		if err := out.add(s.planOn(stored[s.orderID])); err != nil {
			return err
		}
	}
	return nil
}

// bases returns the view each stream's events apply to, from the cache or
// else from the store (one read for the batch), and which came from the cache.
func (p *Projector) bases(ctx context.Context, streams []*stream) (map[string]*Stored, map[string]bool, error) {
	bases, cached := make(map[string]*Stored, len(streams)), make(map[string]bool, len(streams))
	var ids []string
	for _, s := range streams {
		if st, ok := p.cache.get(s.orderID); ok {
			bases[s.orderID], cached[s.orderID] = &st, true
		} else if s.events[0].Version > 1 {
			ids = append(ids, s.orderID)
		}
	}
	stored, err := p.read(ctx, ids)
	for id, st := range stored {
		bases[id] = st
	}
	return bases, cached, err
}

// read reads views from the store and remembers them.
func (p *Projector) read(ctx context.Context, ids []string) (map[string]*Stored, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	stored, err := p.views.Get(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read views: %w", err)
	}
	out := make(map[string]*Stored, len(stored))
	for _, id := range ids {
		st, ok := stored[id]
		if !ok {
			p.cache.drop(id)
			continue
		}
		p.cache.put(id, st)
		out[id] = &st
	}
	return out, nil
}

// plan is one stream's planOn result.
type plan struct {
	c   *change
	err error
}

// outcome collects the plans of a batch.
type outcome struct {
	changes []*change
	gaps    []error
	poisons []error
}

// add files one stream's plan; it returns any error that is neither a gap nor poison.
func (o *outcome) add(c *change, err error) error {
	switch {
	case errors.As(err, new(*GapError)):
		o.gaps = append(o.gaps, err)
	case errors.As(err, new(*parking.PoisonError)):
		o.poisons = append(o.poisons, err)
	case err != nil:
		return err
	case c != nil:
		o.changes = append(o.changes, c)
	}
	return nil
}

func (o *outcome) err() error {
	if len(o.gaps) > 0 {
		return fmt.Errorf("%d streams have gaps, nothing written: %w", len(o.gaps), errors.Join(o.gaps...))
	}
	return errors.Join(o.poisons...)
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

func summary(events []es.Envelope, changes []*change, ignored, retries int) string {
	applied := 0
	for _, c := range changes {
		applied += len(c.pending)
	}
	return fmt.Sprintf("%s: %d events: %d applied to %d views, %d already applied, %d not of orders; %d writes redone after a conflict",
		Name, len(events), applied, len(changes), len(events)-applied-ignored, ignored, retries)
}
