package funchost_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderview"
	"orderctx/functions/parking"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/deadletters"
	"orderctx/infra/eventstore"
	"orderctx/infra/viewstore"
)

// The end state every run must reach, whatever was killed or split on the
// way: each consumer's effect exactly once, computed from the events
// container alone.
//   - projector: every order's view is orderview.Apply of its stream;
//   - publisher: JetStream holds one message per event (Nats-Msg-Id = event
//     id, none missing, none twice), each order's in stream order
//     (Stream-Version 1, 2, 3...);
//   - snapshotter: every order of at least snapshotEvery events has a
//     snapshot at or past its last multiple of snapshotEvery, and every
//     snapshot is the state of its stream at its version;
//   - nothing parked, except an undecodable event and the rest of its stream
//     behind it, for every consumer.

// consumerNames are the consumers' persistent names (deadletters partitions).
var consumerNames = functionNames

// history is the events container read back.
type history struct {
	// events holds each stream's decodable events, in version order, up to
	// the first that does not decode.
	events map[string][]es.Envelope
	// last is each stream's highest stored version.
	last  map[string]int64
	total int // decodable events of all streams
}

// poison is an undecodable event that a test wrote at a stream's version.
type poison struct {
	stream string
	at     int64
}

// history reads every event document back through the change feed.
func (r *rig) history() history {
	r.t.Helper()
	docs := map[string][]es.EncodedEvent{}
	for _, raw := range r.world.Feed(r.t) {
		var e es.EncodedEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			r.t.Fatal(err)
		}
		docs[e.StreamID] = append(docs[e.StreamID], e)
	}
	h := history{events: map[string][]es.Envelope{}, last: map[string]int64{}}
	for stream, encoded := range docs {
		slices.SortFunc(encoded, func(a, b es.EncodedEvent) int { return cmp.Compare(a.Version, b.Version) })
		h.last[stream] = encoded[len(encoded)-1].Version
		for _, enc := range encoded {
			e, err := r.world.Registry.DecodeEvent(enc)
			if err != nil {
				break
			}
			h.events[stream] = append(h.events[stream], e)
		}
		h.total += len(h.events[stream])
	}
	return h
}

// orderIDs lists the orders of a history.
func (h history) orderIDs() []string {
	var ids []string
	for stream := range h.events {
		ids = append(ids, strings.TrimPrefix(stream, order.StreamPrefix))
	}
	slices.Sort(ids)
	return ids
}

// longest is the stream with the most events.
func (h history) longest() string {
	best := ""
	for stream, events := range h.events {
		if len(events) > len(h.events[best]) {
			best = stream
		}
	}
	return best
}

// verify waits until the consumers have caught up with everything written,
// then checks the end state in full.
func (r *rig) verify(p *poison) {
	r.t.Helper()
	h := r.history()
	r.await("every consumer to catch up with the events", func() bool { return r.caughtUp(h, p) })
	r.checkViews(h)
	r.checkMessages(h)
	snapshots := r.checkSnapshots(h, p)
	r.checkLetters(h, p)
	r.t.Logf("end state: %d orders, %d events, each in its view and published once; %d snapshots", len(h.events), h.total, snapshots)
}

// caughtUp is the cheap form of the end state: views at their streams'
// versions, as many messages as events, snapshots at the last multiple, and
// the poisoned stream parked to its end by every consumer.
func (r *rig) caughtUp(h history, p *poison) bool {
	ctx := context.Background()
	views, err := viewstore.New(r.conn).Get(ctx, h.orderIDs())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, id := range h.orderIDs() {
		if views[id].View.Version != int64(len(h.events[order.StreamID(id)])) {
			return false
		}
	}
	if n, _ := r.messageCount(); n != h.total {
		return false
	}
	for stream, events := range h.events {
		if p == nil || stream != p.stream {
			if snap := r.snapshot(stream); int64(len(events)) >= snapshotEvery && (snap == nil || snap.Version < lastMultiple(len(events))) {
				return false
			}
		}
	}
	for _, c := range consumerNames {
		if p != nil && r.lastParked(c, p.stream) != h.last[p.stream] {
			return false
		}
	}
	return true
}

func lastMultiple(n int) int64 { return int64(n / snapshotEvery * snapshotEvery) }

// checkViews: every view is the fold of its stream.
func (r *rig) checkViews(h history) {
	r.t.Helper()
	views, err := viewstore.New(r.conn).Get(context.Background(), h.orderIDs())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, id := range h.orderIDs() {
		want, err := orderview.Apply(nil, h.events[order.StreamID(id)])
		if err != nil {
			r.t.Fatalf("fold of %s: %v", id, err)
		}
		if got := views[id].View; !reflect.DeepEqual(got, want) {
			r.t.Fatalf("view %s is not the fold of its stream:\n got %+v\nwant %+v", id, got, want)
		}
	}
	if len(views) != len(h.events) {
		r.t.Fatalf("%d views for %d streams", len(views), len(h.events))
	}
}

// checkMessages: every event published once, each order's in stream order.
func (r *rig) checkMessages(h history) {
	r.t.Helper()
	byID := map[string]es.Envelope{}
	for _, events := range h.events {
		for _, e := range events {
			byID[e.EventID] = e
		}
	}
	seen := map[string]bool{}
	next := map[string]int64{} // per order, the version of its next message
	for _, m := range r.messages() {
		e, known := byID[m.id]
		switch {
		case seen[m.id]:
			r.t.Fatalf("message %s is in the stream twice", m.id)
		case !known:
			r.t.Fatalf("message %s (%s v%d) has no event", m.id, m.orderID, m.version)
		case order.StreamID(m.orderID) != e.StreamID || m.version != e.Version:
			r.t.Fatalf("message %s says %s v%d, its event is %s@%d", m.id, m.orderID, m.version, e.StreamID, e.Version)
		case m.version != next[m.orderID]+1:
			r.t.Fatalf("order %s: message of version %d after version %d", m.orderID, m.version, next[m.orderID])
		}
		seen[m.id] = true
		next[m.orderID] = m.version
	}
	if len(seen) != len(byID) {
		r.t.Fatalf("%d of %d events published", len(seen), len(byID))
	}
}

// checkSnapshots: every snapshot is its stream's state at its version; every
// order long enough has one at or past its last multiple of snapshotEvery.
func (r *rig) checkSnapshots(h history, p *poison) (taken int) {
	r.t.Helper()
	for stream, events := range h.events {
		snap := r.snapshot(stream)
		if snap == nil {
			if len(events) >= snapshotEvery && (p == nil || stream != p.stream) {
				r.t.Fatalf("%s has %d events and no snapshot", stream, len(events))
			}
			continue
		}
		taken++
		if snap.Version > int64(len(events)) || snap.Version < lastMultiple(len(events)) && (p == nil || stream != p.stream) {
			r.t.Fatalf("%s of %d events has a snapshot at version %d", stream, len(events), snap.Version)
		}
		fromSnap, err1 := order.FromSnapshot(*snap, nil)
		fromEvents, err2 := order.Load(strings.TrimPrefix(stream, order.StreamPrefix), events[:snap.Version])
		if err1 != nil || err2 != nil || !reflect.DeepEqual(fromSnap.State(), fromEvents.State()) {
			r.t.Fatalf("%s: the snapshot at version %d is not the stream's state then (%v, %v)", stream, snap.Version, err1, err2)
		}
	}
	if taken == 0 {
		r.t.Fatal("no snapshot at all: the workload is too small to show anything")
	}
	return taken
}

// checkLetters: nothing parked but the poisoned stream's tail, for every consumer.
func (r *rig) checkLetters(h history, p *poison) {
	r.t.Helper()
	for _, c := range consumerNames {
		letters := r.letters(c)
		if p == nil {
			if len(letters) > 0 {
				r.t.Fatalf("%s parked %d events, the first %+v", c, len(letters), letters[0])
			}
			continue
		}
		checkTail(r.t, c, letters, p, h.last[p.stream])
	}
}

// checkTail: the letters are one stream's versions from at most p.at to
// last, without a gap, and the poison is parked for its own sake.
func checkTail(t *testing.T, consumer string, letters []parking.Letter, p *poison, last int64) {
	t.Helper()
	if len(letters) == 0 {
		t.Fatalf("%s parked nothing", consumer)
	}
	first := letters[0].Version
	for i, l := range letters {
		if l.StreamID != p.stream || l.Version != first+int64(i) {
			t.Fatalf("%s: letter %d is %s@%d; want only %s from version %d on", consumer, i, l.StreamID, l.Version, p.stream, first)
		}
		if l.Version == p.at && (!strings.Contains(l.Reason, "unknown event type") || l.Behind != 0) {
			t.Fatalf("%s: the undecodable event's letter says %q (behind %d)", consumer, l.Reason, l.Behind)
		}
		if l.Version > p.at && l.Behind == 0 {
			t.Fatalf("%s: %s@%d is parked for its own sake, not behind the poison", consumer, l.StreamID, l.Version)
		}
	}
	if first > p.at || letters[len(letters)-1].Version != last {
		t.Fatalf("%s parked versions %d..%d of %s; want ..%d..%d", consumer, first, letters[len(letters)-1].Version, p.stream, p.at, last)
	}
}

func (r *rig) snapshot(stream string) *es.Snapshot {
	r.t.Helper()
	snap, err := eventstore.New(r.conn, r.world.Registry).ReadSnapshot(context.Background(), stream)
	if err != nil {
		r.t.Fatal(err)
	}
	return snap
}

func (r *rig) letters(consumer string) []parking.Letter {
	r.t.Helper()
	letters, err := deadletters.New(r.conn).List(context.Background(), consumer)
	if err != nil {
		r.t.Fatal(err)
	}
	slices.SortFunc(letters, func(a, b parking.Letter) int {
		return cmp.Or(strings.Compare(a.StreamID, b.StreamID), cmp.Compare(a.Version, b.Version))
	})
	return letters
}

// lastParked is the highest version of a stream that a consumer parked.
func (r *rig) lastParked(consumer, stream string) int64 {
	var last int64
	for _, l := range r.letters(consumer) {
		if l.StreamID == stream {
			last = max(last, l.Version)
		}
	}
	return last
}

// message is what a test reads of a message in the JetStream stream.
type message struct {
	id, orderID string
	version     int64
}

// jetStream returns the integration events' stream, or nil while no
// publisher has created it yet.
func (r *rig) jetStream() jetstream.Stream {
	r.t.Helper()
	if r.js == nil {
		nc, err := nats.Connect(r.natsURL)
		if err != nil {
			r.t.Fatal(err)
		}
		r.t.Cleanup(nc.Close)
		if r.js, err = jetstream.New(nc); err != nil {
			r.t.Fatal(err)
		}
	}
	s, err := r.js.Stream(context.Background(), natsbus.DefaultStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// messageCount is the number of messages in the stream and its last sequence.
func (r *rig) messageCount() (int, uint64) {
	s := r.jetStream()
	if s == nil {
		return 0, 0
	}
	info, err := s.Info(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return int(info.State.Msgs), info.State.LastSeq
}

// messages reads the whole stream in order.
func (r *rig) messages() []message {
	r.t.Helper()
	s := r.jetStream()
	_, last := r.messageCount()
	var out []message
	for seq := uint64(1); seq <= last; seq++ {
		m, err := s.GetMsg(context.Background(), seq)
		if err != nil {
			r.t.Fatalf("message %d: %v", seq, err)
		}
		v, err := strconv.ParseInt(m.Header.Get(natsbus.HeaderStreamVersion), 10, 64)
		if err != nil {
			r.t.Fatalf("message %d: %s %q", seq, natsbus.HeaderStreamVersion, m.Header.Get(natsbus.HeaderStreamVersion))
		}
		out = append(out, message{id: m.Header.Get(natsbus.HeaderMsgID), orderID: m.Header.Get(natsbus.HeaderOrderID), version: v})
	}
	return out
}
