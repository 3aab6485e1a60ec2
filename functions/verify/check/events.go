package check

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/parking"
)

// checker holds what a check keeps in memory. Per event only an eventRec
// (32 bytes); per stream a stream and, for an order, the order folded so far.
type checker struct {
	src    Sources
	opts   Options
	report *Report
	ids    *ids

	streams     []stream
	streamIndex map[string]uint32
	names       []string
	nameIndex   map[string]uint16
	events      []eventRec
	positioned  []position // undecodable documents whose stream and version are known

	cuts      map[string]cuts      // lowest parked version per consumer, by stream
	letters   []Letter             // every parked event
	snapshots map[string]*snapshot // by stream, until the fold reaches them
}

// eventRec is what the id and bus checks need of one event.
type eventRec struct {
	key     key
	stream  uint32
	version uint32
	at      uint32 // occurredAt in Unix seconds (0 before 1970)
	typ     uint16
}

// position places a document in its stream.
type position struct {
	stream, version uint32
}

// eventDoc is an event document as the event store writes it.
type eventDoc struct {
	ID string `json:"id"`
	es.EncodedEvent
}

// readEvents reads the events feed, then checks what needs all of it.
func (c *checker) readEvents(ctx context.Context) (int, error) {
	n, err := readAll(ctx, c.src.Events, "events", c.opts.Progress, c.addEvent)
	if err != nil {
		return n, err
	}
	c.finishStreams()
	c.checkEventIDs()
	return n, nil
}

// addEvent takes one event document.
func (c *checker) addEvent(raw []byte) {
	c.report.Counts.Events++
	var d eventDoc
	err := json.Unmarshal(raw, &d)
	switch {
	case err != nil:
		streamID, version := parking.Salvage(raw)
		c.undecodable(streamID, version, fmt.Sprintf("not an event document: %v", err))
		return
	case d.StreamID == "" || d.Version < 1 || d.Version > math.MaxUint32:
		c.undecodable(d.StreamID, d.Version, fmt.Sprintf("document %q has streamId %q and version %d", d.ID, d.StreamID, d.Version))
		return
	}
	want := d.StreamID + ":" + strconv.FormatInt(d.Version, 10)
	if d.ID != want {
		c.diff(Difference{Kind: EventIDMismatch, Stream: d.StreamID, Version: d.Version, Detail: fmt.Sprintf("document id %q, want %q", d.ID, want)})
	}
	i := c.stream(d.StreamID)
	s := &c.streams[i]
	s.count++
	s.last = max(s.last, d.Version)
	s.odd = s.odd || d.ID != want
	c.events = append(c.events, eventRec{key: c.ids.key(d.EventID), stream: i, version: uint32(d.Version),
		at: unixSeconds(d.OccurredAt.Unix()), typ: c.intern(d.Type)})
	if s.isOrder {
		c.fold(s, d.EncodedEvent)
	}
}

// undecodable reports a document that cannot be read as an event. When its
// stream and version are known it counts as that version (so it is not
// also reported as a gap) and stops the stream's fold there.
func (c *checker) undecodable(streamID string, version int64, why string) {
	c.diff(Difference{Kind: EventUndecodable, Stream: streamID, Version: max(version, 0), Detail: why})
	if streamID == "" || version < 1 || version > math.MaxUint32 {
		return
	}
	i := c.stream(streamID)
	s := &c.streams[i]
	s.count++
	s.last = max(s.last, version)
	s.halt(version, why)
	c.positioned = append(c.positioned, position{stream: i, version: uint32(version)})
}

// stream returns the index of a stream's state, adding it on first sight.
func (c *checker) stream(id string) uint32 {
	if i, ok := c.streamIndex[id]; ok {
		return i
	}
	i := uint32(len(c.streams))
	c.streamIndex[id] = i
	s := stream{id: id, isOrder: strings.HasPrefix(id, order.StreamPrefix), cuts: c.cuts[id]}
	if snap := c.snapshots[id]; snap != nil {
		s.snap = snap
		delete(c.snapshots, id)
	}
	c.streams = append(c.streams, s)
	if s.isOrder {
		c.report.Counts.OrderStreams++
	}
	c.report.Counts.Streams++
	return i
}

// intern gives a name (an event type, a subject) a small number.
func (c *checker) intern(name string) uint16 {
	if i, ok := c.nameIndex[name]; ok {
		return i
	}
	if len(c.names) == math.MaxUint16 {
		return math.MaxUint16 - 1 // absurdly many types: the last one stands for the rest
	}
	i := uint16(len(c.names))
	c.names = append(c.names, name)
	c.nameIndex[name] = i
	return i
}

func (c *checker) diff(d Difference) { c.report.add(d) }

func unixSeconds(s int64) uint32 {
	return uint32(min(max(s, 0), math.MaxUint32))
}
