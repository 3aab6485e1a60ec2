package projector

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderview"
	"orderctx/functions/parking"
)

// GapError reports events missing between a view and the batch's next event
// of its stream. It is transient: the batch is delivered again, and the
// projector waits until the missing events are applied.
type GapError struct {
	StreamID    string
	ViewVersion int64
	Next        int64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("stream %s: the view is at version %d, the next event is version %d", e.StreamID, e.ViewVersion, e.Next)
}

// stream is one order's events in a batch, in version order, without duplicates.
type stream struct {
	streamID string
	orderID  string
	events   []es.Envelope
}

// change is a view to write: next replaces base (nil: create).
type change struct {
	s       *stream
	base    *Stored
	next    orderview.View
	pending []es.Envelope // the events next applies on top of base
}

// group splits a batch into order streams, in order of first appearance, and
// counts the events of other streams.
func group(events []es.Envelope) (streams []*stream, ignored int) {
	byID := map[string]*stream{}
	for _, e := range events {
		orderID, ok := strings.CutPrefix(e.StreamID, order.StreamPrefix)
		if !ok {
			ignored++
			continue
		}
		s := byID[e.StreamID]
		if s == nil {
			s = &stream{streamID: e.StreamID, orderID: orderID}
			byID[e.StreamID] = s
			streams = append(streams, s)
		}
		s.events = append(s.events, e)
	}
	for _, s := range streams {
		slices.SortStableFunc(s.events, func(a, b es.Envelope) int { return cmp.Compare(a.Version, b.Version) })
		s.events = slices.CompactFunc(s.events, func(a, b es.Envelope) bool { return a.Version == b.Version })
	}
	return streams, ignored
}

func orderIDs(streams []*stream) []string {
	ids := make([]string, len(streams))
	for i, s := range streams {
		ids[i] = s.orderID
	}
	return ids
}

// planOn folds the stream's new events into base (nil: no view yet). It
// returns nil when the view has them all, a *GapError when events are
// missing before them, and a *parking.PoisonError for an event the domain
// refuses.
func (s *stream) planOn(base *Stored) (*change, error) {
	var view *orderview.View
	pending := s.events
	if base != nil {
		view = &base.View
		i, _ := slices.BinarySearchFunc(s.events, base.View.Version+1, func(e es.Envelope, v int64) int { return cmp.Compare(e.Version, v) })
		pending = s.events[i:]
	}
	if len(pending) == 0 {
		return nil, nil
	}
	if have := viewVersion(view); pending[0].Version != have+1 {
		return nil, &GapError{StreamID: s.streamID, ViewVersion: have, Next: pending[0].Version}
	}
	next, err := orderview.Apply(view, pending)
	var fe *orderview.FoldError
	switch {
	case errors.As(err, &fe):
		return nil, parking.Poison(fe.Event, fe.Err)
	case errors.Is(err, orderview.ErrNotContiguous):
		// Versions jump inside the batch: events are missing in the feed.
		return nil, &GapError{StreamID: s.streamID, ViewVersion: viewVersion(view), Next: pending[len(pending)-1].Version}
	case err != nil:
		return nil, err
	}
	return &change{s: s, base: base, next: next, pending: pending}, nil
}

func viewVersion(v *orderview.View) int64 {
	if v == nil {
		return 0
	}
	return v.Version
}
