package queryapi

import (
	"context"
	"encoding/json"
	"errors"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// Predictor computes what an order's view will be once the projector has
// applied every event stored so far: the stored view with the newer events
// folded in. view is nil (and viewVersion 0) when the projector has not
// written the order's view yet. It returns the view unchanged and
// predicted=false when no event is newer than viewVersion, and a nil doc
// when the order does not exist at all.
// Errors: Unavailable when the event store cannot be reached; Internal when
// the events cannot be folded.
type Predictor interface {
	Predict(ctx context.Context, orderID string, view json.RawMessage, viewVersion int64) (doc json.RawMessage, predicted bool, err error)
}

// Fold applies events, in version order, to a view document (nil for an
// order without a view yet) and returns the new document, with its version
// set to the last event's. It is the projector's fold (domain/orderview),
// shared so that a prediction is exactly what the projector will write.
type Fold func(view json.RawMessage, events []es.Envelope) (json.RawMessage, error)

// EventPredictor is the Predictor on the event store: it loads the order's
// stream and folds the events after the view's version with Fold.
type EventPredictor struct {
	// Store loads streams; it must load whole streams (no snapshots), since
	// the events after an old view may precede the latest snapshot.
	Store es.EventStore
	Fold  Fold
}

// Predict implements Predictor.
func (p EventPredictor) Predict(ctx context.Context, orderID string, view json.RawMessage, viewVersion int64) (json.RawMessage, bool, error) {
	stream, err := p.Store.Load(ctx, order.StreamID(orderID))
	if err != nil {
		return nil, false, err
	}
	if stream.Snapshot != nil {
		return nil, false, errSnapshotLoaded
	}
	var newer []es.Envelope
	for _, e := range stream.Events {
		if e.Version > viewVersion {
			newer = append(newer, e)
		}
	}
	if len(newer) == 0 {
		return view, false, nil
	}
	doc, err := p.Fold(view, newer)
	if err != nil {
		return nil, false, es.Errorf(es.Internal, order.RuleCorruptHistory, "fold order %s: %v", orderID, err)
	}
	return doc, true, nil
}

// errSnapshotLoaded reports a store wired to start from snapshots where
// whole streams are needed; it is a wiring error, shown as a 500.
var errSnapshotLoaded = errors.New("the event store loaded a snapshot; the query side needs whole streams (AcceptSnapshots returning false)")
