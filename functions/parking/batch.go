package parking

import (
	"encoding/json"
	"time"

	"orderctx/domain/es"
)

// reasonBehind is the reason of a letter parked only to keep its stream's order.
const reasonBehind = "an earlier event of the stream is parked"

// batch is one invocation's documents and what became of them.
type batch struct {
	consumer string
	at       time.Time
	items    []item
	parked   []bool
	// heads maps each blocked stream to the version from which it is parked.
	heads   map[string]int64
	letters []Letter
}

// streams returns the distinct known streams of the batch.
func (b *batch) streams() []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range b.items {
		if s := it.env.StreamID; s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// block parks every document that does not decode, and every event of a
// stream at or after a parked version (from the store, or from this batch).
func (b *batch) block(stored map[string]int64) {
	b.parked = make([]bool, len(b.items))
	b.heads = make(map[string]int64, len(stored))
	for s, v := range stored {
		b.heads[s] = v
	}
	for i, it := range b.items {
		if it.err != nil {
			b.park(i, it.err.Error(), 0)
			if it.env.StreamID != "" {
				b.raiseHead(it.env.StreamID, it.env.Version)
			}
		}
	}
	for i := range b.items {
		b.parkBehind(i)
	}
}

// poison parks the event p names and the rest of its stream in the batch. It
// returns false when no unparked event of the batch is the one p names.
func (b *batch) poison(p *PoisonError) bool {
	for i, it := range b.items {
		if b.parked[i] || it.env.StreamID != p.StreamID || it.env.Version != p.Version {
			continue
		}
		b.park(i, p.Reason, 0)
		b.raiseHead(p.StreamID, p.Version)
		for j := range b.items {
			b.parkBehind(j)
		}
		return true
	}
	return false
}

// raiseHead blocks a stream from version on (or from an earlier parked version).
func (b *batch) raiseHead(stream string, version int64) {
	if head, ok := b.heads[stream]; !ok || version < head {
		b.heads[stream] = version
	}
}

func (b *batch) parkBehind(i int) {
	e := b.items[i].env
	if head, ok := b.heads[e.StreamID]; ok && !b.parked[i] && e.StreamID != "" && e.Version >= head {
		b.park(i, reasonBehind, head)
	}
}

// runnable returns the events that are not parked, in feed order.
func (b *batch) runnable() []es.Envelope {
	out := make([]es.Envelope, 0, len(b.items))
	for i, it := range b.items {
		if !b.parked[i] {
			out = append(out, it.env)
		}
	}
	return out
}

func (b *batch) park(i int, reason string, behind int64) {
	it := b.items[i]
	b.parked[i] = true
	l := Letter{
		ID:       letterID(it.env.StreamID, it.env.Version, it.raw),
		Consumer: b.consumer, StreamID: it.env.StreamID, Version: it.env.Version,
		EventID: it.env.EventID, EventType: it.env.Type,
		Reason: reason, Behind: behind, ParkedAt: b.at, DocumentBytes: len(it.raw),
	}
	switch {
	case len(it.raw) > MaxDocumentBytes:
	case json.Valid(it.raw):
		l.Document = it.raw
	default:
		l.DocumentText = string(it.raw)
	}
	b.letters = append(b.letters, l)
}
