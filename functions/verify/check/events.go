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
	seen        []uint8    // per stream, bit i: view source i holds its view

	cuts      map[string]cuts      // lowest parked version per consumer, by stream
	letters   []Letter             // every parked event
	snapshots map[string]*snapshot // by stream, until the fold reaches them
	acks      *acks                // the acknowledged commands, when given
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

// decodedEvent is an event document as far as it decodes.
type decodedEvent struct {
	doc eventDoc // without its data once decoded
	// env is the event decoded and upcast through the registry (order
	// streams only), or envErr why the registry refused it.
	env    es.Envelope
	envErr error
	// bad says why the document is not an event document at all; stream
	// and version are then what could be read of it.
	bad string
}

// readEvents reads the events feed, then checks what needs all of it.
// Documents are decoded on every core; the fold takes them in feed order.
func (c *checker) readEvents(ctx context.Context) (int, error) {
	n, err := pipeline(ctx, c.src.Events, c.opts.Workers, c.decodeEvent, func(page []decodedEvent) {
		for i := range page {
			c.addEvent(&page[i])
		}
		c.opts.Progress("events", c.report.Counts.Events)
	})
	if err != nil {
		return n, err
	}
	c.finishStreams()
	c.checkEventIDs()
	if c.acks != nil {
		c.acks.finish(c.lastVersion, c.diff)
	}
	return n, nil
}

// decodeEvent decodes one document; it is safe for concurrent use.
func (c *checker) decodeEvent(raw []byte) decodedEvent {
	var d decodedEvent
	if err := json.Unmarshal(raw, &d.doc); err != nil {
		d.doc.StreamID, d.doc.Version = parking.Salvage(raw)
		d.bad = fmt.Sprintf("not an event document: %v", err)
		return d
	}
	if d.doc.StreamID == "" || d.doc.Version < 1 || d.doc.Version > math.MaxUint32 {
		d.bad = fmt.Sprintf("document %q has streamId %q and version %d", d.doc.ID, d.doc.StreamID, d.doc.Version)
		return d
	}
	if strings.HasPrefix(d.doc.StreamID, order.StreamPrefix) {
		d.env, d.envErr = c.opts.Registry.DecodeEvent(d.doc.EncodedEvent)
	}
	d.doc.Data = nil
	return d
}

// addEvent takes one decoded event document, in feed order.
func (c *checker) addEvent(d *decodedEvent) {
	c.report.Counts.Events++
	if d.bad != "" {
		c.undecodable(d.doc.StreamID, d.doc.Version, d.bad)
		return
	}
	want := d.doc.StreamID + ":" + strconv.FormatInt(d.doc.Version, 10)
	if d.doc.ID != want {
		c.diff(Difference{Kind: EventIDMismatch, Stream: d.doc.StreamID, Version: d.doc.Version, Detail: fmt.Sprintf("document id %q, want %q", d.doc.ID, want)})
	}
	i := c.stream(d.doc.StreamID)
	s := &c.streams[i]
	s.count++
	s.last = max(s.last, d.doc.Version)
	s.odd = s.odd || d.doc.ID != want
	k := c.ids.key(d.doc.EventID)
	c.events = append(c.events, eventRec{key: k, stream: i, version: uint32(d.doc.Version),
		at: unixSeconds(d.doc.OccurredAt.Unix()), typ: c.intern(d.doc.Type)})
	if c.acks != nil {
		c.acks.event(k, d)
	}
	if s.isOrder {
		c.fold(s, d)
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

// lastVersion is a stream's last version, 0 when it has no events.
func (c *checker) lastVersion(id string) int64 {
	if i, ok := c.streamIndex[id]; ok {
		return c.streams[i].last
	}
	return 0
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
