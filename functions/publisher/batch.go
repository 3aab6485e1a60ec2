package publisher

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher/contracts"
)

// permanentError marks an error that makes the event unmappable.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// batch is the work of one Handle call: the orders it took from the cache
// or loaded, at the version of the last event folded onto them.
type batch struct {
	h      *Handler
	orders map[string]*order.Order
}

func (b *batch) mapEvent(ctx context.Context, e es.Envelope) (contracts.Message, bool, error) {
	rule, known := b.h.table[e.Type]
	src := contracts.Source{Event: e}
	if known && !rule.Internal() {
		o, err := b.follow(ctx, e, rule.NeedsState)
		if err != nil {
			return contracts.Message{}, false, err
		}
		if rule.NeedsState {
			st := o.State()
			src.State = &st
		}
	}
	m, published, err := b.h.table.Map(src)
	if err != nil {
		return contracts.Message{}, false, permanentError{err}
	}
	return m, published, nil
}

// follow returns the order after e, from the batch, the cache or (only when
// needed) the store; nil when it is not needed and not at hand. It keeps the
// orders it can continue for the rest of the batch.
func (b *batch) follow(ctx context.Context, e es.Envelope, needed bool) (*order.Order, error) {
	o := b.orders[e.StreamID]
	if o == nil {
		o = b.h.cache.take(e.StreamID)
	}
	delete(b.orders, e.StreamID)
	if o != nil && o.Version() == e.Version-1 {
		err := o.Replay(e)
		switch {
		case err == nil:
			b.orders[e.StreamID] = o
			return o, nil
		case needed:
			return nil, permanentError{err}
		default: // the event alone makes its message; Map judges it
			return nil, nil
		}
	}
	if e.Type == order.EventOrderPlaced && e.Version == 1 {
		if o, err := order.Load(orderID(e.StreamID), []es.Envelope{e}); err == nil {
			b.orders[e.StreamID] = o
			return o, nil
		}
	}
	if !needed {
		return nil, nil
	}
	o, err := b.load(ctx, e)
	if err != nil {
		return nil, err
	}
	b.orders[e.StreamID] = o
	return o, nil
}

// load folds the order's stream from the store up to e's version.
func (b *batch) load(ctx context.Context, e es.Envelope) (*order.Order, error) {
	s, err := b.h.history.Load(ctx, e.StreamID)
	if err != nil {
		if corrupt(err) {
			return nil, permanentError{err}
		}
		return nil, fmt.Errorf("load %s: %w", e.StreamID, err)
	}
	if s.Version < e.Version {
		return nil, fmt.Errorf("load %s: the store is at version %d, behind the feed's %d", e.StreamID, s.Version, e.Version)
	}
	upTo := s.Events
	for i, ev := range s.Events {
		if ev.Version > e.Version {
			upTo = s.Events[:i]
			break
		}
	}
	var o *order.Order
	if s.Snapshot == nil {
		o, err = order.Load(orderID(e.StreamID), upTo)
	} else if s.Snapshot.Version > e.Version {
		return nil, fmt.Errorf("load %s: the history starts at a snapshot (v%d) after the event (v%d); give the publisher a loader that ignores snapshots", e.StreamID, s.Snapshot.Version, e.Version)
	} else {
		o, err = order.FromSnapshot(*s.Snapshot, upTo)
	}
	if errors.Is(err, es.ErrSnapshotIncompatible) {
		return nil, fmt.Errorf("load %s: %w; give the publisher a loader that ignores snapshots", e.StreamID, err)
	}
	if err != nil {
		return nil, permanentError{fmt.Errorf("fold %s up to v%d: %w", e.StreamID, e.Version, err)}
	}
	return o, nil
}

// corrupt reports a stream whose stored events this build cannot decode or
// apply: loading it again gives the same error, so retrying would hold the
// range forever. An event type or schema version written by a newer build is
// among them; parking lets the rest of the range flow, and the parked events
// are replayed once a build that reads them runs.
func corrupt(err error) bool {
	switch es.ErrorRule(err) {
	case es.RuleCorruptHistory, order.RuleCorruptHistory,
		es.RuleUnknownEventType, es.RuleMissingUpcaster, es.RuleUnsupportedSchema:
		return true
	}
	return false
}

func orderID(streamID string) string { return strings.TrimPrefix(streamID, order.StreamPrefix) }
