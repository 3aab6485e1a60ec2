package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"orderctx/domain/order"
	"orderctx/domain/orderview"
)

// viewResult is the outcome of one view: the stream it belongs to (-1:
// none) and how it differs (a zero Kind: it does not).
type viewResult struct {
	stream int
	diff   Difference
}

// readViews compares every view of a source with the fold of its stream,
// on every core, then reports the orders the source has no view of.
func (c *checker) readViews(ctx context.Context, i int, v ViewSource) (int, error) {
	bit := uint8(1) << i
	if c.seen == nil {
		c.seen = make([]uint8, len(c.streams))
	}
	n, err := pipeline(ctx, v.Feed, c.opts.Workers, func(raw []byte) viewResult { return c.compareView(raw, v) },
		func(page []viewResult) {
			for _, r := range page {
				if r.stream >= 0 {
					c.seen[r.stream] |= bit
				}
				if r.diff.Kind != "" {
					c.diff(r.diff)
				}
			}
			c.opts.Progress("views:"+v.Name, len(page))
		})
	c.report.Counts.Views[v.Name] = n
	if err != nil {
		return n, err
	}
	for i := range c.streams {
		s := &c.streams[i]
		if s.isOrder && c.seen[i]&bit == 0 && s.viewVersion() > 0 {
			c.diff(Difference{Kind: ViewMissing, Stream: s.id, Version: s.viewVersion(), Source: v.Name,
				Detail: fmt.Sprintf("no view; the fold is at version %d", s.viewVersion())})
		}
	}
	return n, nil
}

// compareView compares one stored view with the fold. It only reads the
// checker, so views are compared concurrently.
func (c *checker) compareView(raw []byte, v ViewSource) viewResult {
	source := v.Name
	var stored orderview.View
	if err := json.Unmarshal(raw, &stored); err != nil || stored.ID == "" {
		return viewResult{stream: -1, diff: Difference{Kind: ViewUndecodable, Source: source, Detail: fmt.Sprintf("%s (%v)", quote(raw), err)}}
	}
	i, ok := c.streamIndex[order.StreamID(stored.ID)]
	if !ok {
		return viewResult{stream: -1, diff: Difference{Kind: ViewOrphan, Stream: order.StreamID(stored.ID), Version: stored.Version,
			Source: source, Detail: "a view of an order without events"}}
	}
	s := &c.streams[i]
	d := Difference{Stream: s.id, Version: stored.Version, Source: source}
	switch want := s.viewVersion(); {
	case want == 0:
		d.Kind, d.Detail = ViewUnexpected, "a view of an order whose first event does not fold ("+stopOrParked(s)+")"
	case stored.Version < want:
		d.Kind, d.Detail = ViewStale, fmt.Sprintf("the view is at version %d, the fold at %d", stored.Version, want)
	case stored.Version > want:
		d.Kind, d.Detail = ViewAhead, fmt.Sprintf("the view is at version %d, the fold only at %d (%s)", stored.Version, want, stopOrParked(s))
	default:
		if d.Detail = viewDifference(s, stored, v.Stored); d.Detail != "" {
			d.Kind = ViewDiffers
		}
	}
	return viewResult{stream: int(i), diff: d}
}

// viewDifference compares a view at the fold's version with the fold, and
// describes how they differ ("" when they do not).
func viewDifference(s *stream, stored orderview.View, as func(orderview.View) orderview.View) string {
	want, err := s.expectedView()
	if err != nil {
		return err.Error()
	}
	if as != nil {
		want = as(want)
	}
	got, err1 := json.Marshal(stored)
	fold, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		return fmt.Sprintf("cannot encode: %v %v", err1, err2)
	}
	if bytes.Equal(got, fold) {
		return ""
	}
	return jsonDiff("view", got, "fold", fold)
}

// stopOrParked says why a stream's view ends before its last event.
func stopOrParked(s *stream) string {
	if s.cuts.projector > 0 && (s.stop == "" || s.cuts.projector <= s.stopAt) {
		return fmt.Sprintf("the projector parked version %d", s.cuts.projector)
	}
	if s.stop != "" {
		return s.stop
	}
	if s.folded < s.last {
		return fmt.Sprintf("version %d is missing", s.folded+1)
	}
	return fmt.Sprintf("the stream's last version is %d", s.last)
}
