// Package snapshotter writes order snapshots as the change feed shows orders
// growing, so the write side loads a snapshot and a short tail of events
// instead of whole streams. It is a parking.Handler: the parking.Consumer
// around it decodes the feed and parks streams that cannot be rebuilt.
//
// For each order stream in a batch it decides by Policy; a due stream is
// loaded through the event store (latest snapshot and the events after it),
// rebuilt by the domain (orderapp.Rebuild) and its snapshot written with
// es.SnapshotStore.WriteSnapshot, which keeps a stored snapshot that is
// newer. A re-delivered batch therefore writes the same or a newer
// snapshot, never an older one.
package snapshotter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/functions"
	"orderctx/functions/parking"
)

// Name is the snapshotter's persistent consumer name: its lease prefix and
// its partition in the deadletters container. It must never change.
const Name = "snapshotter"

// DefaultTrack bounds the streams whose last snapshot version a
// Snapshotter remembers.
const DefaultTrack = 100_000

// Loader loads an event stream: es.EventStore's Load.
type Loader interface {
	Load(ctx context.Context, streamID string) (es.Stream, error)
}

// Config wires a Snapshotter.
type Config struct {
	// Events loads streams; it must accept the order snapshots it finds
	// (eventstore's AcceptSnapshots), as the write side's store does.
	Events    Loader
	Snapshots es.SnapshotStore
	// Policy decides when; zero means every DefaultEvery events.
	Policy Policy
	// Track bounds how many streams' last snapshot versions are kept in
	// memory (default DefaultTrack); a forgotten one costs a snapshot read.
	Track int
	Log   *slog.Logger
}

// Snapshotter writes order snapshots.
type Snapshotter struct {
	events    Loader
	snapshots es.SnapshotStore
	policy    Policy
	last      *versions
	log       *slog.Logger
}

var _ parking.Handler = (*Snapshotter)(nil)

// New returns a Snapshotter, or every problem with cfg.
func New(cfg Config) (*Snapshotter, error) {
	if cfg.Policy == (Policy{}) {
		cfg.Policy.Every = DefaultEvery
	}
	if cfg.Track <= 0 {
		cfg.Track = DefaultTrack
	}
	var errs []error
	if cfg.Events == nil {
		errs = append(errs, errors.New("snapshotter: Events is required"))
	}
	if cfg.Snapshots == nil {
		errs = append(errs, errors.New("snapshotter: Snapshots is required"))
	}
	if err := errors.Join(append(errs, cfg.Policy.Validate())...); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Snapshotter{events: cfg.Events, snapshots: cfg.Snapshots, policy: cfg.Policy, last: newVersions(cfg.Track), log: cfg.Log}, nil
}

// NewConsumer returns the snapshotter as a change-feed consumer: decoding
// through reg and parking in letters under Name.
func NewConsumer(cfg Config, reg *es.Registry, letters parking.Store) (*parking.Consumer, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return parking.New(parking.Config{Consumer: Name, Registry: reg, Store: letters, Handler: s, Log: cfg.Log})
}

// span is what a batch holds of one order stream.
type span struct {
	orderID string
	first   es.Envelope // the batch's first event of the stream, named if it is poison
	lo, hi  int64
}

// HandleEvents implements parking.Handler.
func (s *Snapshotter) HandleEvents(ctx context.Context, events []es.Envelope) (functions.Result, error) {
	written := 0
	var poisons []error
	for _, sp := range spans(events) {
		due, err := s.due(ctx, sp)
		if err != nil {
			return functions.Result{}, err
		}
		if !due {
			continue
		}
		switch err := s.snapshot(ctx, sp); {
		case errors.As(err, new(*parking.PoisonError)):
			poisons = append(poisons, err)
		case err != nil:
			return functions.Result{}, err
		default:
			written++
		}
	}
	if len(poisons) > 0 {
		return functions.Result{}, errors.Join(poisons...)
	}
	return functions.Result{Logs: []string{fmt.Sprintf("%s: %d events, %d snapshots written", Name, len(events), written)}}, nil
}

// due applies the policy, reading the stream's last snapshot version the
// first time it matters for a stream.
func (s *Snapshotter) due(ctx context.Context, sp span) (bool, error) {
	if sp.hi < s.policy.Every {
		return false, nil
	}
	if s.policy.crossed(sp.lo, sp.hi) {
		return true, nil
	}
	last, ok := s.last.get(sp.orderID)
	if !ok {
		snap, err := s.snapshots.ReadSnapshot(ctx, order.StreamID(sp.orderID))
		if err != nil {
			return false, fmt.Errorf("read snapshot of %s: %w", sp.orderID, err)
		}
		if snap != nil {
			last = snap.Version
		}
		s.last.put(sp.orderID, last)
	}
	return s.policy.Due(sp.lo, sp.hi, last), nil
}

// snapshot loads, rebuilds and snapshots one order. A stream the domain
// cannot rebuild is poison: retrying cannot help, and the write side cannot
// load it either, which the parked letter makes visible.
func (s *Snapshotter) snapshot(ctx context.Context, sp span) error {
	streamID := order.StreamID(sp.orderID)
	stream, err := s.events.Load(ctx, streamID)
	if err != nil {
		if isCorrupt(err) {
			return parking.Poison(sp.first, fmt.Errorf("the stream cannot be loaded: %w", err))
		}
		return fmt.Errorf("load %s: %w", streamID, err)
	}
	o, err := orderapp.Rebuild(sp.orderID, stream)
	if err != nil {
		return parking.Poison(sp.first, fmt.Errorf("the order cannot be rebuilt: %w", err))
	}
	snap, err := o.Snapshot()
	if err != nil {
		return parking.Poison(sp.first, fmt.Errorf("the order cannot be snapshotted: %w", err))
	}
	if err := s.snapshots.WriteSnapshot(ctx, snap); err != nil {
		return fmt.Errorf("write snapshot of %s@%d: %w", streamID, snap.Version, err)
	}
	s.last.put(sp.orderID, snap.Version)
	s.log.Debug("snapshot written", "streamId", streamID, "version", snap.Version)
	return nil
}

// isCorrupt reports a load error caused by the stored events themselves.
func isCorrupt(err error) bool {
	switch es.ErrorRule(err) {
	case es.RuleCorruptHistory, es.RuleUnknownEventType, es.RuleUnsupportedSchema, es.RuleMissingUpcaster:
		return true
	}
	return false
}

// spans returns each order stream's range of versions in the batch, in order
// of first appearance; other streams are not orders and are left alone.
func spans(events []es.Envelope) []span {
	var out []span
	index := map[string]int{}
	for _, e := range events {
		orderID, ok := strings.CutPrefix(e.StreamID, order.StreamPrefix)
		if !ok {
			continue
		}
		i, seen := index[orderID]
		if !seen {
			index[orderID] = len(out)
			out = append(out, span{orderID: orderID, first: e, lo: e.Version, hi: e.Version})
			continue
		}
		sp := &out[i]
		if e.Version < sp.lo {
			sp.lo, sp.first = e.Version, e
		}
		sp.hi = max(sp.hi, e.Version)
	}
	return out
}
