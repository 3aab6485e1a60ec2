package orderview

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// ErrNotContiguous reports events that do not continue the view: of another
// stream, or not at the versions after the view's. Apply never guesses across
// a gap; the caller decides whether to wait for the missing events.
var ErrNotContiguous = errors.New("events do not continue the view")

// FoldError reports the event the domain refused to apply (an event that
// breaks the order's invariants, or a stored view the order cannot be restored
// from). It can never succeed, however often it is retried.
type FoldError struct {
	// Index is the position of the event in the slice given to Apply.
	Index int
	Event es.Envelope
	Err   error
}

func (e *FoldError) Error() string {
	return fmt.Sprintf("fold %s@%d (%s): %v", e.Event.StreamID, e.Event.Version, e.Event.Type, e.Err)
}

func (e *FoldError) Unwrap() error { return e.Err }

// Apply folds events into a view through the order aggregate and returns the
// new view; view is nil for an order that has no view yet. The events must be
// of the view's stream, at the versions right after view.Version (1, 2, ...
// without a view); otherwise Apply returns an error wrapping
// ErrNotContiguous. When the domain refuses an event, Apply returns the view
// after the events before it and a *FoldError naming it.
func Apply(view *View, events []es.Envelope) (View, error) {
	if len(events) == 0 {
		if view == nil {
			return View{}, fmt.Errorf("apply nothing to no view: %w", ErrNotContiguous)
		}
		return *view, nil
	}
	if err := contiguous(view, events); err != nil {
		return View{}, err
	}
	next, err := fold(view, events)
	if err == nil {
		return next, nil
	}
	// Rare: find the event at fault, one at a time from the last good view.
	for i := range events {
		next, err := fold(view, events[i:i+1])
		if err != nil {
			return viewOrZero(view), &FoldError{Index: i, Event: events[i], Err: err}
		}
		view = &next
	}
	return *view, nil // every event applied on its own after all
}

// fold restores the order from view (or starts a new one) and applies events.
func fold(view *View, events []es.Envelope) (View, error) {
	var (
		o   *order.Order
		err error
	)
	if view == nil {
		o, err = order.Load(strings.TrimPrefix(events[0].StreamID, order.StreamPrefix), events)
	} else {
		var snap es.Snapshot
		if snap, err = view.snapshot(); err == nil {
			o, err = order.FromSnapshot(snap, events)
		}
	}
	if err != nil {
		return View{}, err
	}
	return FromState(o.State(), o.Version(), events[len(events)-1].OccurredAt)
}

// snapshot presents the view as the order's snapshot at the view's version,
// the domain's own way in to an order's state.
func (v View) snapshot() (es.Snapshot, error) {
	s, err := v.State()
	if err != nil {
		return es.Snapshot{}, err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return es.Snapshot{}, err
	}
	return es.Snapshot{StreamID: order.StreamID(v.OrderID), AggregateType: order.SnapshotType,
		SchemaVersion: order.SnapshotSchemaVersion, Version: v.Version, State: data}, nil
}

func contiguous(view *View, events []es.Envelope) error {
	stream, next := events[0].StreamID, int64(1)
	if view != nil {
		stream, next = order.StreamID(view.OrderID), view.Version+1
	}
	if !strings.HasPrefix(stream, order.StreamPrefix) {
		return fmt.Errorf("stream %s is not an order stream: %w", stream, ErrNotContiguous)
	}
	for _, e := range events {
		if e.StreamID != stream || e.Version != next {
			return fmt.Errorf("%s@%d after %s@%d: %w", e.StreamID, e.Version, stream, next-1, ErrNotContiguous)
		}
		next++
	}
	return nil
}

func viewOrZero(v *View) View {
	if v == nil {
		return View{}
	}
	return *v
}
