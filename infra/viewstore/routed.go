package viewstore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"orderctx/domain/orderview"
	"orderctx/functions/projector"
	"orderctx/infra/cosmosdb"
)

// DefaultRefresh is how long Routed trusts the active container it last
// resolved. A rebuild that switches the pointer keeps filling the new
// container itself for longer than this (its grace period), so writes that
// still went to the old container meanwhile are not lost.
const DefaultRefresh = time.Second

// Resolver names the active views container (infra/viewpointer.Store).
type Resolver interface {
	// ActiveViews returns the container's name. Errors: es.Unavailable.
	ActiveViews(ctx context.Context) (string, error)
}

// Routed is a projector.Views on the active views container: each call
// resolves the container through the pointer, at most once per refresh
// interval, and a failed resolution fails the call (transient: the batch is
// retried) rather than writing where the pointer may no longer point.
//
// A switch between the reads and the writes of one batch is safe: a view
// read from the old container and written to the new one is created (409
// when it exists) or replaced with an etag of the old container, which the
// new one refuses (412), so the projector reads the view again there.
type Routed struct {
	conn     *cosmosdb.Conn
	resolver Resolver
	refresh  time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	name     string
	store    *Store
	resolved time.Time
}

var _ projector.Views = (*Routed)(nil)

// NewRouted returns the routed store; refresh 0 means DefaultRefresh, and a
// nil log discards.
func NewRouted(conn *cosmosdb.Conn, resolver Resolver, refresh time.Duration, log *slog.Logger) *Routed {
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Routed{conn: conn, resolver: resolver, refresh: refresh, log: log, now: time.Now}
}

// active returns the store of the active container.
func (r *Routed) active(ctx context.Context) (*Store, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.store != nil && now.Sub(r.resolved) < r.refresh {
		return r.store, nil
	}
	name, err := r.resolver.ActiveViews(ctx)
	if err != nil {
		return nil, err
	}
	if name != r.name {
		if r.name != "" {
			r.log.Info("views: the active container changed; writing there from now on", "from", r.name, "to", name)
		}
		r.name, r.store = name, NewIn(r.conn, name)
	}
	r.resolved = now
	return r.store, nil
}

// Container returns the container the next write goes to.
func (r *Routed) Container(ctx context.Context) (string, error) {
	if _, err := r.active(ctx); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.name, nil
}

// Get implements projector.Views.
func (r *Routed) Get(ctx context.Context, ids []string) (map[string]projector.Stored, error) {
	s, err := r.active(ctx)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, ids)
}

// Create implements projector.Views.
func (r *Routed) Create(ctx context.Context, v orderview.View) (string, error) {
	s, err := r.active(ctx)
	if err != nil {
		return "", err
	}
	return s.Create(ctx, v)
}

// Replace implements projector.Views.
func (r *Routed) Replace(ctx context.Context, v orderview.View, etag string) (string, error) {
	s, err := r.active(ctx)
	if err != nil {
		return "", err
	}
	return s.Replace(ctx, v, etag)
}
