package check_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderview"
	"orderctx/functions/consumertest"
	"orderctx/functions/parking"
	"orderctx/functions/projector"
	"orderctx/functions/verify/check"
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// pages is a Feed of documents served 7 at a time.
type pages struct{ docs [][]byte }

func (p *pages) Next(context.Context) ([][]byte, bool, error) {
	n := min(7, len(p.docs))
	out := p.docs[:n]
	p.docs = p.docs[n:]
	return out, n == 0, nil
}

// bus is a Bus holding messages with a state.
type bus struct {
	state check.BusState
	msgs  []check.Message
}

func (b *bus) Messages(_ context.Context, fn func(check.Message) error) (check.BusState, error) {
	for _, m := range b.msgs {
		if err := fn(m); err != nil {
			return b.state, err
		}
	}
	return b.state, nil
}

// fixture is a consistent store in memory: orders, their event documents in
// feed order, their views and snapshots at version 2.
type fixture struct {
	events            map[string][]es.Envelope
	ids               []string
	feed, views, snap [][]byte
	letters           [][]byte
}

func newFixture(t *testing.T, orders int) *fixture {
	t.Helper()
	reg := ordertest.Registry(t)
	g := ordertest.New(99)
	f := &fixture{events: map[string][]es.Envelope{}}
	for i := range orders {
		id := fmt.Sprintf("o-%d", i)
		_, evs := g.History(t, reg, id, 12, t0)
		if len(evs) < 3 {
			continue
		}
		f.ids = append(f.ids, id)
		f.events[id] = evs
		for _, e := range evs {
			f.feed = append(f.feed, consumertest.Document(t, reg, e))
		}
		f.views = append(f.views, marshal(t, mustView(t, evs)))
		o, err := order.Load(id, evs[:2])
		if err != nil {
			t.Fatal(err)
		}
		s, err := o.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		f.snap = append(f.snap, marshal(t, struct {
			ID string `json:"id"`
			es.Snapshot
		}{s.StreamID, s}))
	}
	return f
}

func (f *fixture) run(t *testing.T, b check.Bus, opts check.Options) *check.Report {
	t.Helper()
	r, err := check.Run(context.Background(), check.Sources{
		Events: &pages{f.feed}, Snapshots: &pages{f.snap}, Letters: &pages{f.letters},
		Views: []check.ViewSource{{Name: "views", Feed: &pages{f.views}}}, Bus: b,
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// published is a bus holding exactly one right message per event.
func (f *fixture) published() *bus {
	b := &bus{state: check.BusState{Name: "ORDERS", FirstSeq: 1}}
	for _, id := range f.ids {
		for _, e := range f.events[id] {
			b.msgs = append(b.msgs, check.Message{Seq: uint64(len(b.msgs) + 1), ID: e.EventID, Subject: contract(e.Type), StreamVersion: e.Version})
		}
	}
	return b
}

func contract(eventType string) string {
	return map[string]string{order.EventOrderPlaced: "orders.v1.OrderPlaced", order.EventItemAdded: "orders.v1.OrderChanged",
		order.EventItemRemoved: "orders.v1.OrderChanged", order.EventOrderPaid: "orders.v1.OrderPaid",
		order.EventOrderShipped: "orders.v1.OrderShipped", order.EventOrderCancelled: "orders.v1.OrderCancelled"}[eventType]
}

func TestFixtureIsConsistent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 20)
	if r := f.run(t, f.published(), check.Options{}); !r.OK() || r.Counts.Messages != r.Counts.Events {
		t.Fatalf("counts %+v, differences:\n%s", r.Counts, lines(r.Differences))
	}
}

// TestRewrittenDocumentsFoldInVersionOrder: documents that come before the
// versions they follow (a rewritten document moves to the end of the feed)
// are held until those come, so the fold, the views and the snapshots are
// still right.
func TestRewrittenDocumentsFoldInVersionOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	slices.Reverse(f.feed)
	if r := f.run(t, f.published(), check.Options{Workers: 3}); !r.OK() {
		t.Fatalf("differences:\n%s", lines(r.Differences))
	}
}

// TestEventsOlderThanTheBusKeeps: when the stream has dropped its oldest
// messages (MaxAge), events older than its first message are not missing;
// newer ones, or any when nothing was dropped, are.
func TestEventsOlderThanTheBusKeeps(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5)
	cases := []struct {
		name        string
		state       check.BusState
		beyond, now bool // all events beyond retention, or all missing
	}{
		{name: "messages dropped, events older", state: check.BusState{Name: "ORDERS", FirstSeq: 500, FirstTime: t0.Add(24 * time.Hour)}, beyond: true},
		{name: "messages dropped, events newer", state: check.BusState{Name: "ORDERS", FirstSeq: 500, FirstTime: t0.Add(-time.Hour)}},
		{name: "nothing dropped", state: check.BusState{Name: "ORDERS", FirstSeq: 1, FirstTime: t0.Add(24 * time.Hour)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := f.run(t, &bus{state: tc.state}, check.Options{})
			if tc.beyond && (!r.OK() || r.Counts.BeyondRetention != r.Counts.Events) {
				t.Fatalf("beyond retention %d of %d; differences:\n%s", r.Counts.BeyondRetention, r.Counts.Events, lines(r.Differences))
			}
			if !tc.beyond && (r.ByKind[check.BusMissing] != r.Counts.Events || r.Counts.BeyondRetention != 0) {
				t.Fatalf("missing %d of %d", r.ByKind[check.BusMissing], r.Counts.Events)
			}
		})
	}
}

// TestProjectorLetterCutsTheView: a projector letter at version 3 means the
// view must stay at version 2 even though the events fold on; the publisher's
// letter means the messages from it on are not expected.
func TestProjectorLetterCutsTheView(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5)
	id := f.ids[0]
	evs := f.events[id]
	for _, consumer := range []string{projector.Name, "publisher"} {
		f.letters = append(f.letters, marshal(t, parking.Letter{ID: order.StreamID(id) + ":3", Consumer: consumer,
			StreamID: order.StreamID(id), Version: 3, Reason: "held for the test", ParkedAt: t0}))
	}
	published := f.published()
	published.msgs = slices.DeleteFunc(published.msgs, func(m check.Message) bool {
		return slices.ContainsFunc(evs[2:], func(e es.Envelope) bool { return e.EventID == m.ID })
	})
	r := f.run(t, published, check.Options{})
	if r.ByKind[check.ViewAhead] != 1 || r.DifferenceCount != 1 {
		t.Fatalf("the full view against a cut at 3:\n%s", lines(r.Differences))
	}
	f.views[0] = marshal(t, mustView(t, evs[:2]))
	r = f.run(t, published, check.Options{})
	if !r.OK() || r.ParkedCount != 2 || r.Parked[0].Version != 3 {
		t.Fatalf("parked %+v; differences:\n%s", r.Parked, lines(r.Differences))
	}
}

// TestUndecodableDocuments: documents that are not events are reported; one
// whose stream and version can be read takes its place in the stream (no
// gap is reported for it), and the fold stops before it (so the view is
// ahead of the fold).
func TestUndecodableDocuments(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	stream := order.StreamID(f.ids[0])
	last := len(f.events[f.ids[0]])
	for i, d := range f.feed {
		var doc map[string]any
		if err := json.Unmarshal(d, &doc); err != nil {
			t.Fatal(err)
		}
		if doc["streamId"] == stream && int(doc["version"].(float64)) == last {
			doc["occurredAt"] = "yesterday"
			f.feed[i] = marshal(t, doc)
		}
	}
	f.feed = append(f.feed, []byte("not json"), []byte(`{"id":"x","version":1}`))
	r := f.run(t, nil, check.Options{})
	if r.ByKind[check.EventUndecodable] != 3 || r.ByKind[check.ViewAhead] != 1 || r.DifferenceCount != 4 {
		t.Fatalf("differences:\n%s", lines(r.Differences))
	}
}

// TestLetterOfNoEvent: a letter whose event is not in the store.
func TestLetterOfNoEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	stream := order.StreamID(f.ids[0])
	f.letters = append(f.letters, marshal(t, parking.Letter{ID: stream + ":99", Consumer: "snapshotter", StreamID: stream, Version: 99,
		Reason: "held for the test", ParkedAt: t0}))
	r := f.run(t, f.published(), check.Options{})
	if r.ByKind[check.LetterOrphan] != 1 || r.DifferenceCount != 1 || r.Differences[0].Stream != stream {
		t.Fatalf("differences:\n%s", lines(r.Differences))
	}
}

func TestReportKeepsMaxDiffs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	f.views = nil
	r := f.run(t, nil, check.Options{MaxDiffs: 5})
	if len(r.Differences) != 5 || r.DifferenceCount != len(f.ids) || r.ByKind[check.ViewMissing] != len(f.ids) {
		t.Fatalf("kept %d of %d: %v", len(r.Differences), r.DifferenceCount, r.ByKind)
	}
}

func mustView(t *testing.T, evs []es.Envelope) orderview.View {
	t.Helper()
	v, err := orderview.Apply(nil, evs)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
