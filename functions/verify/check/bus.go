package check

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// msgRec is what the bus check keeps of one message.
type msgRec struct {
	key     key
	seq     uint64
	version uint32
	subject uint16
}

// busProgressEvery is how many messages pass between progress calls.
const busProgressEvery = 10_000

// readBus reads every message of the stream and matches them with the
// events by id: each event the publisher did not park is published exactly
// once (after the broker's de-duplication), under its contract's subject and
// with its stream version; every message is of an event.
func (c *checker) readBus(ctx context.Context) (int, error) {
	var msgs []msgRec
	state, err := c.src.Bus.Messages(ctx, func(m Message) error {
		msgs = append(msgs, msgRec{key: c.ids.key(m.ID), seq: m.Seq, subject: c.intern(m.Subject),
			version: uint32(min(max(m.StreamVersion, 0), math.MaxUint32))})
		if len(msgs)%busProgressEvery == 0 {
			c.opts.Progress("bus", len(msgs))
		}
		return nil
	})
	c.report.Counts.Messages = len(msgs)
	if err != nil {
		return len(msgs), err
	}
	c.report.Bus = state.Name
	slices.SortFunc(msgs, func(a, b msgRec) int {
		if d := bytes.Compare(a.key[:], b.key[:]); d != 0 {
			return d
		}
		return cmp.Compare(a.seq, b.seq)
	})
	c.matchMessages(msgs, state)
	return len(msgs), nil
}

// matchMessages merges the events and the messages, both sorted by id.
func (c *checker) matchMessages(msgs []msgRec, state BusState) {
	ev := c.events
	for i, j := 0, 0; i < len(ev) || j < len(msgs); {
		o := 1
		switch {
		case j == len(msgs):
			o = -1
		case i < len(ev):
			o = bytes.Compare(ev[i].key[:], msgs[j].key[:])
		}
		switch {
		case o > 0:
			c.unknownMessage(msgs[j], state)
			j++
		case o < 0:
			c.unpublished(ev[i], state)
			i = nextKey(ev, i)
		default:
			k := j + 1
			for k < len(msgs) && msgs[k].key == msgs[j].key {
				k++
			}
			c.published(ev[i], msgs[j:k], state)
			i, j = nextKey(ev, i), k
		}
	}
}

// nextKey skips the events that share ev[i]'s id: checkEventIDs reported
// them, and the broker can hold only one message for them.
func nextKey(ev []eventRec, i int) int {
	k := ev[i].key
	for i < len(ev) && ev[i].key == k {
		i++
	}
	return i
}

// expectedContract is the subject an event must be published under, or ""
// when it must not be published: its type is internal, or the publisher
// parked its stream at or before it.
func (c *checker) expectedContract(e eventRec) (contract string, publish bool) {
	rule, known := c.opts.Contracts[c.names[e.typ]]
	if known && rule.Internal() {
		return "", false
	}
	if cut := c.streams[e.stream].cuts.publisher; cut > 0 && int64(e.version) >= cut {
		return rule.Contract, false
	}
	return rule.Contract, true
}

func (c *checker) unpublished(e eventRec, state BusState) {
	if _, publish := c.expectedContract(e); !publish {
		return
	}
	if state.FirstSeq > 1 && int64(e.at) <= state.FirstTime.Unix() {
		c.report.Counts.BeyondRetention++
		return
	}
	c.diff(Difference{Kind: BusMissing, Stream: c.streams[e.stream].id, Version: int64(e.version), Source: state.Name,
		Detail: fmt.Sprintf("event %s (%s) was not published", c.ids.text(e.key), c.names[e.typ])})
}

func (c *checker) published(e eventRec, msgs []msgRec, state BusState) {
	d := Difference{Stream: c.streams[e.stream].id, Version: int64(e.version), Source: state.Name}
	if len(msgs) > 1 {
		seqs := make([]string, len(msgs))
		for i, m := range msgs {
			seqs[i] = fmt.Sprint(m.seq)
		}
		d.Kind, d.Detail = BusDuplicate, fmt.Sprintf("event %s is stored %d times: messages %s", c.ids.text(e.key), len(msgs), listSome(seqs, 10))
		c.diff(d)
	}
	contract, publish := c.expectedContract(e)
	m := msgs[0]
	var wrong []string
	switch {
	case contract == "" && !publish:
		wrong = append(wrong, fmt.Sprintf("published although %s is internal", c.names[e.typ]))
	case contract != "" && c.names[m.subject] != contract:
		wrong = append(wrong, fmt.Sprintf("subject %s, want %s", c.names[m.subject], contract))
	}
	if m.version != e.version {
		wrong = append(wrong, fmt.Sprintf("Stream-Version %d, want %d", m.version, e.version))
	}
	if len(wrong) > 0 {
		d.Kind, d.Detail = BusDiffers, fmt.Sprintf("message %d: %s", m.seq, strings.Join(wrong, "; "))
		c.diff(d)
	}
}

func (c *checker) unknownMessage(m msgRec, state BusState) {
	c.diff(Difference{Kind: BusUnknown, Source: state.Name,
		Detail: fmt.Sprintf("message %d (id %s, %s, Stream-Version %d) is of no event", m.seq, c.ids.text(m.key), c.names[m.subject], m.version)})
}
