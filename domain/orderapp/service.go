// Package orderapp is the application service of the order aggregate: it
// runs one command against an order through any es.EventStore, keeping the
// optimistic-concurrency loop, the idempotency check and the stamping of event
// metadata out of both the domain and the ports. Every port calls it: the
// command API's handlers, and the consumers and tools that need an order
// rebuilt from its snapshot and events (Rebuild). It imports only the standard
// library and the domain.
package orderapp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// DefaultMaxRetries bounds the reload-and-decide-again rounds of an update
// whose append lost a race, when UpdateOptions.MaxRetries is 0.
const DefaultMaxRetries = 5

// Backoff between retries: attempt n waits a random time in [0, min(base*2^n, cap)),
// so writers that collided once do not collide again in lock step.
const (
	retryBackoffBase = 2 * time.Millisecond
	retryBackoffCap  = 50 * time.Millisecond
)

// Service is the command side's application service on top of any
// es.EventStore, keeping the optimistic-concurrency loop, the
// idempotency check and the stamping of event metadata out of both the domain
// and the HTTP handlers.
type Service struct {
	store      es.EventStore
	reg        *es.Registry
	clock      es.Clock
	ready      func(context.Context) error
	newEventID func() string
	backoff    func(attempt int) time.Duration
	cache      *Cache
	// maxCommands bounds the command records of a cache entry.
	maxCommands int

	commands, storeRequests, chargeCents atomic.Int64
}

// Option configures a Service.
type Option func(*Service)

// WithCache makes the service keep each order's committed state, version and
// command records in c and decide on them without reading the store; the
// append's version check still judges every decision (see Update). A nil
// cache is no cache.
func WithCache(c *Cache) Option {
	return func(s *Service) {
		s.cache = c
		if c != nil {
			s.maxCommands = c.cfg.MaxCommands
		}
	}
}

// NewService returns a Service that appends through store the events that reg
// knows, stamped with clock's time. ready probes the store for Ready; when it
// is nil, store's own Ready(ctx) error method is used if it has one, and the
// service otherwise always reports ready. A nil store, registry or clock is a
// programming error and panics, so a half-wired service never starts.
func NewService(store es.EventStore, reg *es.Registry, clock es.Clock, ready func(context.Context) error, opts ...Option) *Service {
	if store == nil {
		panic("orderapp.NewService: nil event store")
	}
	if reg == nil {
		panic("orderapp.NewService: nil registry")
	}
	if clock == nil {
		panic("orderapp.NewService: nil clock")
	}
	if ready == nil {
		if r, ok := store.(interface{ Ready(context.Context) error }); ok {
			ready = r.Ready
		} else {
			ready = func(context.Context) error { return nil }
		}
	}
	s := &Service{store: store, reg: reg, clock: clock, ready: ready, newEventID: es.NewEventID, backoff: jitteredBackoff}
	for _, o := range opts {
		o(s)
	}
	return s
}

func jitteredBackoff(attempt int) time.Duration {
	d := retryBackoffBase << min(attempt, 10)
	if d > retryBackoffCap {
		d = retryBackoffCap
	}
	return rand.N(d) + time.Millisecond/4
}

// Ready reports whether the event store can be reached.
func (s *Service) Ready(ctx context.Context) error { return s.ready(ctx) }

// Update runs one command against an order. It loads the order (latest
// snapshot plus the events after it), calls decide, and appends every event
// decide recorded in one atomic batch at the loaded version. decide may be
// called more than once (after a lost race, or to confirm a cached answer)
// and must not keep the order it is handed.
//
// Errors (inspect with es.ErrorCode / errors.Is):
//   - whatever decide returns, unchanged (domain errors: invalid, not found,
//     conflict, rejected), and nothing is appended;
//   - es.Precondition with rule es.RuleStaleVersion when opts.ExpectedVersion
//     is set and the stream is at another version;
//   - es.ErrConcurrency (wrapped) when another writer appended first and
//     the retries allowed by opts are used up (no retries when ExpectedVersion is set);
//   - es.CommandReused with rule es.RuleCommandReused when opts.CommandID already
//     committed on this stream with a different opts.RequestHash;
//   - es.Unavailable with rule es.RuleStoreUnavailable when the store cannot be reached.
//
// When opts.CommandID already committed on this stream with the same
// RequestHash, Update appends nothing, does not call decide, and returns
// the original result with Replayed set. With an error, the result carries
// only StoreRequests and RequestCharge: what the failed attempts cost, for logs.
//
// Every attempt first looks for opts.CommandID on the stream, so a retried
// command is answered from what it committed. When the stream loaded without
// a snapshot its events are the whole stream, and the lookup scans them
// instead of asking the store (store.FindCommand), which saves a round trip
// on most commands; after a snapshot, FindCommand searches the whole stream.
//
// A lost race (es.ErrConcurrency from Append) is handled in this order: the
// command id is looked up again, because the other writer may have been an
// earlier attempt of this very command whose acknowledgement was lost; then a
// pinned ExpectedVersion turns into a stale-version precondition error,
// because the version the caller decided on is gone; otherwise the order is
// reloaded and decide runs again on the new state, up to MaxRetries times.
//
// With a cache (WithCache) a command on a cached order is decided on the
// cached state and appended at the cached version, with no read: one store
// request. The cache only ever saves reads, and these rules keep every
// answer what the store alone would give (docs/command-api.md argues each):
// a command id the entry has recorded is replayed from it; one it cannot
// rule out (a snapshot or its bound hid older commands) is looked up with
// FindCommand; a cached version other than ExpectedVersion, a decision that
// writes nothing and a rejection are all confirmed by a load; a lost race
// drops the entry and the attempt goes on from a load. An order the cache
// does not hold is first decided as if it did not exist: if that records
// events (placing it), they are appended at version 0, which only succeeds
// if the stream is indeed empty; otherwise the order is loaded.
func (s *Service) Update(ctx context.Context, orderID string, opts UpdateOptions, decide func(o *order.Order) error) (UpdateResult, error) {
	if decide == nil {
		return UpdateResult{}, es.Errorf(es.Internal, es.RuleCorruptHistory, "update %s: nil decide function", orderID)
	}
	meter := &es.Meter{}
	res, err := s.update(es.WithMeter(ctx, meter), orderID, opts, decide)
	res.StoreRequests, res.RequestCharge = meter.Requests(), meter.Charge()
	s.commands.Add(1)
	s.storeRequests.Add(int64(res.StoreRequests))
	s.chargeCents.Add(int64(res.RequestCharge*100 + 0.5))
	return res, err
}

func (s *Service) update(ctx context.Context, orderID string, opts UpdateOptions, decide func(o *order.Order) error) (UpdateResult, error) {
	streamID := order.StreamID(orderID)
	maxRetries := opts.MaxRetries
	if maxRetries <= 0 {
		maxRetries = DefaultMaxRetries
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return UpdateResult{}, unavailable(err, "update %s: %v", orderID, err)
		}
		res, err := s.attempt(ctx, orderID, streamID, opts, decide, attempt == 0)
		if err == nil {
			return res, nil
		}
		if !errors.Is(err, es.ErrConcurrency) {
			return UpdateResult{}, err
		}
		if opts.ExpectedVersion == nil && attempt < maxRetries {
			// The next attempt reloads and looks for the command first.
			t := time.NewTimer(s.backoff(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return UpdateResult{}, unavailable(ctx.Err(), "update %s: %v", orderID, ctx.Err())
			case <-t.C:
			}
			continue
		}
		if opts.CommandID != "" {
			rec, ferr := s.store.FindCommand(ctx, streamID, opts.CommandID)
			if ferr != nil {
				return UpdateResult{}, fmt.Errorf("find command %s on %s: %w", opts.CommandID, streamID, ferr)
			}
			if rec != nil {
				return replayed(orderID, rec, opts)
			}
		}
		if opts.ExpectedVersion != nil {
			return UpdateResult{}, &es.Error{Code: es.Precondition, Rule: es.RuleStaleVersion,
				Message: fmt.Sprintf("order %s changed after version %d", orderID, *opts.ExpectedVersion)}
		}
		return UpdateResult{}, fmt.Errorf("update %s: gave up after %d retries: %w", orderID, maxRetries, err)
	}
}

// findCommand returns what opts.CommandID committed on the loaded stream, or
// nil: from the loaded events when they are the whole stream, else from the store.
func (s *Service) findCommand(ctx context.Context, stream es.Stream, commandID string) (*es.CommandRecord, error) {
	if commandID == "" {
		return nil, nil
	}
	if stream.Snapshot != nil {
		return s.lookUpCommand(ctx, stream.StreamID, commandID)
	}
	var rec *es.CommandRecord
	for _, e := range stream.Events {
		if e.CommandID != commandID {
			continue
		}
		if rec == nil {
			rec = &es.CommandRecord{CommandID: commandID}
		}
		rec.EventIDs = append(rec.EventIDs, e.EventID)
		rec.Version, rec.CommandHash = e.Version, e.CommandHash
	}
	return rec, nil
}

// lookUpCommand asks the store what commandID committed on the stream.
func (s *Service) lookUpCommand(ctx context.Context, streamID, commandID string) (*es.CommandRecord, error) {
	rec, err := s.store.FindCommand(ctx, streamID, commandID)
	if err != nil {
		return nil, fmt.Errorf("find command %s on %s: %w", commandID, streamID, err)
	}
	return rec, nil
}

// replayed returns the recorded result of a command that already committed:
// Replayed for the same request hash, an es.CommandReused error for a
// different one.
func replayed(orderID string, rec *es.CommandRecord, opts UpdateOptions) (UpdateResult, error) {
	if rec.CommandHash != opts.RequestHash {
		return UpdateResult{}, es.Errorf(es.CommandReused, es.RuleCommandReused,
			"command id %q was already used for a different request on order %s", opts.CommandID, orderID)
	}
	return UpdateResult{OrderID: orderID, Version: rec.Version, EventIDs: append([]string(nil), rec.EventIDs...), Replayed: true}, nil
}

// attempt decides and appends once: from the cached entry when there is one,
// as a creation when the order is not cached on a first attempt, and
// otherwise (or when either of those cannot answer alone) from a load.
func (s *Service) attempt(ctx context.Context, orderID, streamID string, opts UpdateOptions, decide func(*order.Order) error, first bool) (UpdateResult, error) {
	if s.cache != nil {
		var (
			res  UpdateResult
			done bool
			err  error
		)
		if e := s.cache.get(streamID); e != nil {
			res, done, err = s.fromEntry(ctx, e, orderID, opts, decide)
		} else if first {
			res, done, err = s.create(ctx, orderID, streamID, opts, decide)
		}
		if done {
			return res, err
		}
	}
	return s.fromStore(ctx, orderID, streamID, opts, decide)
}

// fromEntry runs the command on a cached entry. done is false when the store
// must answer: the entry's version is not the expected one, the decision
// writes nothing (a rejection or a no-op, which no append would check), or
// another writer appended after the cached version.
func (s *Service) fromEntry(ctx context.Context, e *cacheEntry, orderID string, opts UpdateOptions, decide func(*order.Order) error) (UpdateResult, bool, error) {
	if opts.CommandID != "" {
		rec, known := e.command(opts.CommandID)
		if !known {
			var err error
			if rec, err = s.lookUpCommand(ctx, e.streamID, opts.CommandID); err != nil {
				return UpdateResult{}, true, err
			}
		}
		if rec != nil {
			res, err := replayed(orderID, rec, opts)
			return res, true, err
		}
	}
	if opts.ExpectedVersion != nil && *opts.ExpectedVersion != e.version {
		return UpdateResult{}, false, nil
	}
	o := e.order.Clone()
	if err := decide(o); err != nil || len(o.Pending()) == 0 {
		return UpdateResult{}, false, nil
	}
	res, err := s.appendDecided(ctx, orderID, e.streamID, e.version, o, opts, e.commandLog)
	if errors.Is(err, es.ErrConcurrency) {
		return UpdateResult{}, false, nil
	}
	return res, true, err
}

// create decides an order the cache does not hold as if it did not exist,
// and appends what that records at version 0: the store accepts it only if
// the stream is empty, in which case the empty order was the true state and
// no command can have committed on it. done is false when the decision
// records nothing (the command needs an existing order) or the stream exists.
func (s *Service) create(ctx context.Context, orderID, streamID string, opts UpdateOptions, decide func(*order.Order) error) (UpdateResult, bool, error) {
	if opts.ExpectedVersion != nil && *opts.ExpectedVersion != 0 {
		return UpdateResult{}, false, nil
	}
	o := order.New(orderID)
	if err := decide(o); err != nil || len(o.Pending()) == 0 {
		return UpdateResult{}, false, nil
	}
	res, err := s.appendDecided(ctx, orderID, streamID, 0, o, opts, commandLog{})
	if errors.Is(err, es.ErrConcurrency) {
		return UpdateResult{}, false, nil
	}
	return res, true, err
}

// fromStore loads the order, looks for the command, checks the expected
// version, decides and appends. A loaded order that exists is cached.
func (s *Service) fromStore(ctx context.Context, orderID, streamID string, opts UpdateOptions, decide func(*order.Order) error) (UpdateResult, error) {
	stream, err := s.store.Load(ctx, streamID)
	if err != nil {
		return UpdateResult{}, fmt.Errorf("load %s: %w", streamID, err)
	}
	if stream.StreamID == "" {
		stream.StreamID = streamID
	}
	var (
		o   *order.Order
		log commandLog
	)
	if s.cache != nil && stream.Version > 0 {
		if o, err = Rebuild(orderID, stream); err != nil {
			return UpdateResult{}, err
		}
		log = logOf(stream, s.maxCommands)
		s.cache.put(newEntry(streamID, o.Clone(), stream.Version, log))
	}
	rec, err := s.findCommand(ctx, stream, opts.CommandID)
	if err != nil {
		return UpdateResult{}, err
	}
	if rec != nil {
		return replayed(orderID, rec, opts)
	}
	if o == nil {
		if o, err = Rebuild(orderID, stream); err != nil {
			return UpdateResult{}, err
		}
	}
	current := stream.Version
	if opts.ExpectedVersion != nil && *opts.ExpectedVersion != current {
		return UpdateResult{}, &es.Error{Code: es.Precondition, Rule: es.RuleStaleVersion,
			Message: fmt.Sprintf("order %s is at version %d, not the expected version %d", orderID, current, *opts.ExpectedVersion)}
	}
	if err := decide(o); err != nil {
		return UpdateResult{}, err
	}
	if len(o.Pending()) == 0 {
		return UpdateResult{OrderID: orderID, Version: current, EventIDs: []string{}}, nil
	}
	return s.appendDecided(ctx, orderID, streamID, current, o, opts, log)
}

// appendDecided stamps the events o recorded and appends them after base.
// With a cache, a committed append replaces the stream's entry with o and
// log plus this command; a failed one drops the entry at base (a lost race
// proves it stale; another failure leaves the outcome unknown).
func (s *Service) appendDecided(ctx context.Context, orderID, streamID string, base int64, o *order.Order, opts UpdateOptions, log commandLog) (UpdateResult, error) {
	envs, err := s.reg.Stamp(streamID, base, o.Pending(), es.Causation{
		CommandID:     opts.CommandID,
		CorrelationID: opts.CorrelationID,
		CausationID:   opts.CausationID,
	}, s.clock.Now(), s.newEventID)
	if err != nil {
		return UpdateResult{}, fmt.Errorf("stamp %s: %w", streamID, err)
	}
	ids := make([]string, len(envs))
	for i := range envs {
		envs[i].CommandHash = opts.RequestHash
		ids[i] = envs[i].EventID
	}
	ar, err := s.store.Append(ctx, streamID, base, envs)
	if err != nil {
		if s.cache != nil {
			s.cache.invalidate(streamID, base, errors.Is(err, es.ErrConcurrency))
		}
		return UpdateResult{}, fmt.Errorf("append %s@%d: %w", streamID, base, err)
	}
	version := ar.Version
	if version == 0 {
		version = envs[len(envs)-1].Version
	}
	if s.cache != nil {
		o.MarkCommitted()
		rec := es.CommandRecord{CommandID: opts.CommandID, CommandHash: opts.RequestHash, EventIDs: slices.Clone(ids), Version: version}
		s.cache.put(newEntry(streamID, o, version, log.with(rec, s.maxCommands)))
	}
	return UpdateResult{OrderID: orderID, Version: version, EventIDs: ids}, nil
}

// Rebuild restores the order from the loaded stream. A snapshot the order
// cannot use is an internal error here rather than a silent full replay,
// because es.EventStore.Load already returned only the events after it; the
// store is told which snapshots orders accept (eventstore's AcceptSnapshots,
// set in the wiring), so this only happens to a corrupt snapshot.
func Rebuild(orderID string, stream es.Stream) (*order.Order, error) {
	var (
		o   *order.Order
		err error
	)
	if stream.Snapshot != nil {
		o, err = order.FromSnapshot(*stream.Snapshot, stream.Events)
	} else {
		o, err = order.Load(orderID, stream.Events)
	}
	if err != nil {
		return nil, fmt.Errorf("rebuild %s: %w", stream.StreamID, err)
	}
	if o.ID() != orderID {
		return nil, es.Errorf(es.Internal, es.RuleCorruptHistory, "rebuild %s: snapshot is of order %q", order.StreamID(orderID), o.ID())
	}
	if o.Version() != stream.Version {
		return nil, es.Errorf(es.Internal, es.RuleCorruptHistory, "rebuild %s: store reports version %d, events end at %d", order.StreamID(orderID), stream.Version, o.Version())
	}
	return o, nil
}

// unavailable wraps a context error as an es.Unavailable error, keeping the
// cause for errors.Is.
func unavailable(cause error, format string, args ...any) error {
	return fmt.Errorf("%w: %w", es.Errorf(es.Unavailable, es.RuleStoreUnavailable, format, args...), cause)
}

// UpdateOptions carry what the store needs besides the decision.
type UpdateOptions struct {
	// ExpectedVersion pins the stream version the command was decided on
	// (If-Match); nil means "whatever is current", with automatic retries.
	ExpectedVersion *int64
	// CommandID identifies the command for idempotency (from Idempotency-Key,
	// or generated). It is stored on every event the command produced.
	CommandID string
	// RequestHash fingerprints the request (method, path, body) so a reused
	// CommandID with a different request is refused instead of replayed.
	RequestHash string
	// CorrelationID and CausationID are stored in every event's metadata.
	CorrelationID string
	CausationID   string
	// MaxRetries bounds reload-and-decide-again rounds on a concurrency
	// conflict when ExpectedVersion is nil (0 means the store's default).
	MaxRetries int
}

// UpdateResult is what a committed (or replayed) command produced.
type UpdateResult struct {
	OrderID  string
	Version  int64    // the stream version after the command
	EventIDs []string // ids of the events the command appended, in order
	Replayed bool     // true when an earlier identical command's result was returned
	// StoreRequests is the number of requests the command sent to the store,
	// failed ones included; RequestCharge is their cost (Cosmos DB RU), for
	// logs. Both are set with an error too.
	StoreRequests int
	RequestCharge float64
}

// Stats are a service's counters since it started.
type Stats struct {
	// Commands counts Update calls; StoreRequests and RequestCharge are
	// what they cost the store in all.
	Commands      int64
	StoreRequests int64
	RequestCharge float64
	// Cache is the state cache's counters, nil without a cache.
	Cache *CacheStats
}

// RequestsPerCommand is the mean number of store requests per command.
func (s Stats) RequestsPerCommand() float64 {
	if s.Commands == 0 {
		return 0
	}
	return float64(s.StoreRequests) / float64(s.Commands)
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	st := Stats{Commands: s.commands.Load(), StoreRequests: s.storeRequests.Load(), RequestCharge: float64(s.chargeCents.Load()) / 100}
	if s.cache != nil {
		cs := s.cache.Stats()
		st.Cache = &cs
	}
	return st
}
