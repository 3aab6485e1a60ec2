package check

import (
	"fmt"
	"slices"
	"strings"

	"orderctx/domain/order"
)

// Ack is a command the command API acknowledged (answered 2xx): the order,
// the command id (its Idempotency-Key), the stream version the answer gave
// and the ids of the events it appended. A load driver writes one per
// answer (JSON lines, see docs/verify.md); the check proves that each is in
// the store, exactly once.
type Ack struct {
	OrderID   string   `json:"orderId"`
	CommandID string   `json:"commandId"`
	Version   int64    `json:"version"`
	EventIDs  []string `json:"eventIds"`
}

// ackState is what the check learns of one acknowledged command while it
// reads the events.
type ackState struct {
	Ack
	stream string
	found  []bool  // per EventIDs entry: the store holds it as acknowledged
	extra  []int64 // versions of other events carrying the command id
}

// acks indexes the acknowledged commands by command id and event id.
type acks struct {
	byCommand map[string]*ackState
	byEvent   map[key]eventAck
	conflicts []Difference // two acks of one command that disagree
}

// eventAck places an acknowledged event: its command and position in it.
type eventAck struct {
	ack *ackState
	i   int
}

func newAcks(list []Ack, ids *ids) *acks {
	a := &acks{byCommand: map[string]*ackState{}, byEvent: map[key]eventAck{}}
	for _, k := range list {
		if prev := a.byCommand[k.CommandID]; prev != nil {
			if prev.Version != k.Version || !slices.Equal(prev.EventIDs, k.EventIDs) || prev.OrderID != k.OrderID {
				a.conflicts = append(a.conflicts, Difference{Kind: AckDiffers, Stream: prev.stream, Version: k.Version,
					Detail: fmt.Sprintf("command %s acknowledged twice with different answers: version %d %v, then %s version %d %v",
						k.CommandID, prev.Version, prev.EventIDs, k.OrderID, k.Version, k.EventIDs)})
			}
			continue
		}
		s := &ackState{Ack: k, stream: order.StreamID(k.OrderID), found: make([]bool, len(k.EventIDs))}
		a.byCommand[k.CommandID] = s
		for i, id := range k.EventIDs {
			a.byEvent[ids.key(id)] = eventAck{ack: s, i: i}
		}
	}
	return a
}

// event notes one event document of the store: whether it is an
// acknowledged event where the answer put it, or another event of an
// acknowledged command (the command applied twice).
func (a *acks) event(k key, d *decodedEvent) {
	if e, ok := a.byEvent[k]; ok {
		s := e.ack
		want := s.Version - int64(len(s.EventIDs)) + 1 + int64(e.i)
		if d.doc.StreamID == s.stream && d.doc.Version == want && d.doc.CommandID == s.CommandID {
			s.found[e.i] = true
			return
		}
	}
	if s := a.byCommand[d.doc.CommandID]; s != nil && d.doc.CommandID != "" {
		s.extra = append(s.extra, d.doc.Version)
	}
}

// finish reports every acknowledged command whose events the store does not
// hold as acknowledged, and every one applied more than once. last gives a
// stream's last version (0: no such stream).
func (a *acks) finish(last func(stream string) int64, diff func(Difference)) {
	for _, d := range a.conflicts {
		diff(d)
	}
	for _, s := range a.byCommand {
		var missing []string
		for i, ok := range s.found {
			if !ok {
				missing = append(missing, s.EventIDs[i])
			}
		}
		switch {
		case len(missing) > 0:
			diff(Difference{Kind: AckMissing, Stream: s.stream, Version: s.Version, Detail: fmt.Sprintf(
				"command %s was acknowledged at version %d; events %s are not in the store there", s.CommandID, s.Version, strings.Join(missing, ", "))})
		case len(s.EventIDs) == 0 && last(s.stream) < s.Version:
			diff(Difference{Kind: AckMissing, Stream: s.stream, Version: s.Version, Detail: fmt.Sprintf(
				"command %s was acknowledged at version %d; the stream ends at %d", s.CommandID, s.Version, last(s.stream))})
		}
		if len(s.extra) > 0 {
			diff(Difference{Kind: AckTwice, Stream: s.stream, Version: s.Version, Detail: fmt.Sprintf(
				"command %s was acknowledged at version %d; events of it are also at versions %v", s.CommandID, s.Version, s.extra)})
		}
	}
}
