package check

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderview"
)

// cuts are a stream's lowest parked version per consumer (0: none parked).
// A consumer never applies a stream's events from its cut on.
type cuts struct {
	projector, publisher, snapshotter int64
}

// stream is what a check keeps of one event stream while it reads the
// events: counts for the gap check and, for an order, the order folded so
// far, in feed order (a stream's events come in the order they were
// written, which is version order).
type stream struct {
	id      string
	isOrder bool
	odd     bool  // a document's id is not <stream>:<version>: look at every version
	count   int64 // documents of the stream
	last    int64 // highest version
	cuts    cuts

	// The fold: the order after every version up to folded, and the time of
	// the last event applied.
	folded int64
	order  *order.Order
	lastAt time.Time
	// stop is why the fold cannot go past stopAt-1 ("" while it can);
	// refused says the domain refused the event there (undecodable
	// documents are reported on their own).
	stop    string
	stopAt  int64
	refused bool
	// early holds events that came before a version they follow (a
	// rewritten document moves to the end of the feed), until it comes.
	early map[int64]decodedEvent
	// view is the fold at the projector's cut-1, taken on the way, since the
	// fold goes on past it; snap is the stored snapshot, until the fold
	// reaches its version.
	view *orderview.View
	snap *snapshot
}

// fold applies an event of an order stream, or keeps it until the versions
// before it have been applied.
func (c *checker) fold(s *stream, e *decodedEvent) {
	switch v := e.doc.Version; {
	case s.stop != "" && v >= s.stopAt, v <= s.folded:
		return // past the stop, or a second document of a version (finishStreams reports it)
	case v > s.folded+1:
		if s.early == nil {
			s.early = make(map[int64]decodedEvent)
		}
		if _, twice := s.early[v]; !twice {
			s.early[v] = *e
		}
		return
	}
	c.apply(s, e)
	for s.stop == "" || s.folded+1 < s.stopAt {
		next, ok := s.early[s.folded+1]
		if !ok {
			return
		}
		delete(s.early, s.folded+1)
		c.apply(s, &next)
	}
}

// apply folds the event at version folded+1 through the order aggregate,
// as the projector does. On an error the order stays at the previous
// version: Replay checks the envelope, and the aggregate's apply refuses an
// event before it changes anything.
func (c *checker) apply(s *stream, e *decodedEvent) {
	err := e.envErr
	switch {
	case err != nil:
	case s.order == nil:
		s.order, err = order.Load(strings.TrimPrefix(s.id, order.StreamPrefix), []es.Envelope{e.env})
	default:
		err = s.order.Replay(e.env)
	}
	if err != nil {
		s.halt(e.doc.Version, err.Error())
		s.refused = true
		return
	}
	s.folded, s.lastAt = e.env.Version, e.env.OccurredAt
	if s.cuts.projector == s.folded+1 {
		if v, err := orderview.FromState(s.order.State(), s.folded, s.lastAt); err == nil {
			s.view = &v
		}
	}
	if s.snap != nil && s.snap.version == s.folded {
		c.compareSnapshot(s)
		s.snap = nil
	}
}

// halt stops the fold before version v.
func (s *stream) halt(v int64, why string) {
	if s.stop != "" && s.stopAt <= v {
		return
	}
	s.stop, s.stopAt, s.refused = why, v, false
	for ev := range s.early {
		if ev >= v {
			delete(s.early, ev)
		}
	}
}

// viewVersion is the version the stream's view must have: the fold's,
// unless the projector parked an event of the stream before it.
func (s *stream) viewVersion() int64 {
	if s.cuts.projector > 0 {
		return min(s.folded, s.cuts.projector-1)
	}
	return s.folded
}

// expectedView is the view the projector must have written.
func (s *stream) expectedView() (orderview.View, error) {
	want := s.viewVersion()
	if s.view != nil && s.view.Version == want {
		return *s.view, nil
	}
	if s.order == nil || want != s.folded {
		return orderview.View{}, fmt.Errorf("the fold did not keep version %d", want)
	}
	return orderview.FromState(s.order.State(), s.folded, s.lastAt)
}

// finishStreams checks what needs every event of a stream: gaps and twice
// used versions, folds the domain refused that no consumer parked, and
// snapshots the fold never reached.
func (c *checker) finishStreams() {
	suspects := map[uint32][]uint32{}
	for i := range c.streams {
		if s := &c.streams[i]; s.count != s.last || s.odd {
			suspects[uint32(i)] = nil
		}
	}
	if len(suspects) > 0 {
		c.versionsOf(suspects)
	}
	for i := range c.streams {
		s := &c.streams[i]
		if vs, ok := suspects[uint32(i)]; ok {
			c.reportVersions(s, vs)
		}
		if s.refused && (s.cuts.projector == 0 || s.cuts.projector > s.stopAt) {
			c.diff(Difference{Kind: StreamUnfoldable, Stream: s.id, Version: s.stopAt,
				Detail: s.stop + " (no letter of the projector for it)"})
		}
		if s.snap != nil {
			c.unreachedSnapshot(s)
		}
	}
	c.checkLetters()
	for id, snap := range c.snapshots {
		c.diff(Difference{Kind: SnapshotAhead, Stream: id, Version: snap.version, Detail: "a snapshot of a stream without events"})
	}
	c.snapshots = nil
}

// checkLetters reports letters of events the store does not hold (letters
// of documents without a stream or version cannot be placed).
func (c *checker) checkLetters() {
	for _, l := range c.letters {
		if l.Stream == "" || l.Version < 1 {
			continue
		}
		if i, ok := c.streamIndex[l.Stream]; !ok || l.Version > c.streams[i].last {
			c.diff(Difference{Kind: LetterOrphan, Stream: l.Stream, Version: l.Version,
				Detail: fmt.Sprintf("the %s parked an event that is not in the store", l.Consumer)})
		}
	}
}

// versionsOf collects the versions of the given streams.
func (c *checker) versionsOf(streams map[uint32][]uint32) {
	for _, e := range c.events {
		if vs, ok := streams[e.stream]; ok {
			streams[e.stream] = append(vs, e.version)
		}
	}
	for _, p := range c.positioned {
		if vs, ok := streams[p.stream]; ok {
			streams[p.stream] = append(vs, p.version)
		}
	}
}

// reportVersions reports the missing and the twice used versions of a stream.
func (c *checker) reportVersions(s *stream, versions []uint32) {
	slices.Sort(versions)
	var missing, twice []string
	next := uint32(1)
	for i, v := range versions {
		if i > 0 && v == versions[i-1] {
			twice = append(twice, fmt.Sprint(v))
			continue
		}
		if v > next {
			missing = append(missing, versionRange(next, v-1))
		}
		next = v + 1
	}
	if len(missing) > 0 {
		c.diff(Difference{Kind: StreamGap, Stream: s.id, Detail: fmt.Sprintf("missing versions %s (%d documents, last version %d)",
			listSome(missing, 10), s.count, s.last)})
	}
	if len(twice) > 0 {
		c.diff(Difference{Kind: EventDuplicateVersion, Stream: s.id, Detail: "versions held by two or more documents: " + listSome(twice, 10)})
	}
}

func versionRange(from, to uint32) string {
	if from == to {
		return fmt.Sprint(from)
	}
	return fmt.Sprintf("%d-%d", from, to)
}

// listSome joins the first n items, saying how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// checkEventIDs sorts the events by id and reports ids held by more than
// one event. The bus check then merges the messages in the same order.
func (c *checker) checkEventIDs() {
	slices.SortFunc(c.events, func(a, b eventRec) int {
		if d := bytes.Compare(a.key[:], b.key[:]); d != 0 {
			return d
		}
		if a.stream != b.stream {
			return int(a.stream) - int(b.stream)
		}
		return int(a.version) - int(b.version)
	})
	for i := 1; i < len(c.events); i++ {
		a, b := c.events[i-1], c.events[i]
		if a.key == b.key {
			c.diff(Difference{Kind: EventDuplicateID, Stream: c.streams[b.stream].id, Version: int64(b.version),
				Detail: fmt.Sprintf("event id %s is also the id of %s@%d", c.ids.text(b.key), c.streams[a.stream].id, a.version)})
		}
	}
}
