package check_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"orderctx/domain/order"
	"orderctx/functions/projector"
	"orderctx/functions/publisher"
	"orderctx/functions/snapshotter"
	"orderctx/functions/verify/check"
	"orderctx/functions/verify/verifytest"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/eventstore"
)

// build makes a consistent store: 30 orders, 300 commands, every consumer run.
func build(t *testing.T, seed uint64) *verifytest.Store {
	t.Helper()
	return verifytest.Build(t, cosmosdbtest.Embedded(t, 2), natsbus.Config{Memory: true}, seed, 30, 300)
}

func TestCleanStorePasses(t *testing.T) {
	t.Parallel()
	s := build(t, 1)
	r := s.Check(t)
	if !r.OK() {
		t.Fatalf("differences on a clean store:\n%s", lines(r.Differences))
	}
	c := r.Counts
	if c.Events < 100 || c.Views[cosmosdb.Views] != len(s.Orders) || c.OrderStreams != len(s.Orders) || c.Messages != c.Events || c.Snapshots == 0 {
		t.Fatalf("counts %+v for %d orders", c, len(s.Orders))
	}
	if r.ParkedCount != 0 || r.Bus != natsbus.DefaultStream {
		t.Fatalf("parked %d, bus %q", r.ParkedCount, r.Bus)
	}
}

// TestCorruptionsAreFound corrupts one part of a consistent store per case
// and expects exactly the kinds of difference that corruption causes, each
// naming the stream at fault.
func TestCorruptionsAreFound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// corrupt damages the store and returns the stream it damaged ("" when
		// the difference has none).
		corrupt func(t *testing.T, s *verifytest.Store) string
		want    []check.Kind
	}{
		{name: "an event document deleted", want: []check.Kind{check.StreamGap, check.ViewAhead, check.BusUnknown},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				id, _ := s.OrderWith(t, 3, verifytest.SnapshotEvery-1)
				stream := order.StreamID(id)
				s.Delete(t, cosmosdb.Events, stream, eventstore.EventDocumentID(stream, 2))
				return stream
			}},
		{name: "an event id used twice", want: []check.Kind{check.EventDuplicateID, check.BusUnknown},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				id, _ := s.OrderWith(t, 2, 100)
				stream := order.StreamID(id)
				first := s.Item(t, cosmosdb.Events, stream, eventstore.EventDocumentID(stream, 1))
				second := s.Item(t, cosmosdb.Events, stream, eventstore.EventDocumentID(stream, 2))
				second["eventId"] = first["eventId"] // rewritten: it moves to the end of the feed
				s.Upsert(t, cosmosdb.Events, stream, second)
				return stream
			}},
		{name: "a view edited", want: []check.Kind{check.ViewDiffers},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				id, _ := s.OrderWith(t, 1, 100)
				v := s.Item(t, cosmosdb.Views, id, id)
				v["total"] = v["total"].(float64) + 1
				s.Upsert(t, cosmosdb.Views, id, v)
				return order.StreamID(id)
			}},
		{name: "a stale view", want: []check.Kind{check.ViewStale},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				id, _ := s.OrderWith(t, 2, 100)
				v := s.Item(t, cosmosdb.Views, id, id)
				v["version"] = v["version"].(float64) - 1
				s.Upsert(t, cosmosdb.Views, id, v)
				return order.StreamID(id)
			}},
		{name: "a view deleted", want: []check.Kind{check.ViewMissing},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				id, _ := s.OrderWith(t, 1, 100)
				s.Delete(t, cosmosdb.Views, id, id)
				return order.StreamID(id)
			}},
		{name: "a view without an order", want: []check.Kind{check.ViewOrphan},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				id, _ := s.OrderWith(t, 1, 100)
				v := s.Item(t, cosmosdb.Views, id, id)
				v["id"], v["orderId"] = "ghost", "ghost"
				s.Upsert(t, cosmosdb.Views, "ghost", v)
				return order.StreamID("ghost")
			}},
		{name: "a snapshot edited", want: []check.Kind{check.SnapshotDiffers},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				id, _ := s.OrderWith(t, verifytest.SnapshotEvery, 1000)
				stream := order.StreamID(id)
				snap := s.Item(t, cosmosdb.Snapshots, stream, stream)
				snap["state"].(map[string]any)["buyerId"] = "someone-else"
				s.Upsert(t, cosmosdb.Snapshots, stream, snap)
				return stream
			}},
		{name: "a message of no event", want: []check.Kind{check.BusUnknown},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				publishExtra(t, s)
				return ""
			}},
		{name: "a message deleted", want: []check.Kind{check.BusMissing},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				m, err := s.Stream(t).GetMsg(context.Background(), 7)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Stream(t).DeleteMsg(context.Background(), 7); err != nil {
					t.Fatal(err)
				}
				return order.StreamID(m.Header.Get(natsbus.HeaderOrderID))
			}},
		{name: "an event published twice", want: []check.Kind{check.BusDuplicate},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				m, err := s.Stream(t).GetMsg(context.Background(), 5)
				if err != nil {
					t.Fatal(err)
				}
				s.Republish(t, 5)
				return order.StreamID(m.Header.Get(natsbus.HeaderOrderID))
			}},
		{name: "an event no consumer can apply, not parked", want: []check.Kind{check.StreamUnfoldable, check.BusMissing},
			corrupt: func(t *testing.T, s *verifytest.Store) string {
				stream, _ := appendEvent(t, s, "order.gift_wrapped", map[string]any{"paper": "gold"})
				return stream
			}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := build(t, uint64(10+i))
			stream := tc.corrupt(t, s)
			r := s.Check(t)
			t.Logf("differences:\n%s", lines(r.Differences))
			if got := slices.Sorted(maps.Keys(r.ByKind)); !slices.Equal(got, sorted(tc.want)) {
				t.Fatalf("kinds %v, want %v:\n%s", got, sorted(tc.want), lines(r.Differences))
			}
			for _, d := range r.Differences {
				if stream != "" && d.Kind == tc.want[0] && d.Stream != stream {
					t.Fatalf("%s names %s, want %s", d.Kind, d.Stream, stream)
				}
			}
		})
	}
}

// TestParkedEventsAreListedNotCounted: an event no consumer can process is
// delivered to every consumer, which parks it; the store is then consistent
// (the views and the bus end before it), and the letters are listed with
// their reasons. An event of a type this build does not know (a newer
// build's) is parked by all three consumers; one the order refuses (an item
// removed that the order does not have) by the projector and the publisher,
// which fold the order (and by the snapshotter when a snapshot is due).
func TestParkedEventsAreListedNotCounted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, eventType, reason string
		data                    map[string]any
		parkedBy                []string
	}{
		{name: "unknown type", eventType: "order.gift_wrapped", reason: "unknown event type", data: map[string]any{"paper": "gold"},
			parkedBy: []string{projector.Name, publisher.Name, snapshotter.Name}},
		{name: "refused by the order", eventType: order.EventItemRemoved, reason: "unknown product",
			data: map[string]any{"productId": "never-added"}, parkedBy: []string{projector.Name, publisher.Name}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := build(t, uint64(40+i))
			stream, version := appendEvent(t, s, tc.eventType, tc.data)
			s.Deliver(t, s.Raw(t, cosmosdb.Events, stream, eventstore.EventDocumentID(stream, version)))
			r := s.Check(t)
			if !r.OK() {
				t.Fatalf("differences:\n%s", lines(r.Differences))
			}
			by := map[string]bool{}
			for _, l := range r.Parked {
				if l.Stream != stream || l.Version != version || !strings.Contains(l.Reason, tc.reason) {
					t.Fatalf("letter %+v", l)
				}
				by[l.Consumer] = true
			}
			for _, c := range tc.parkedBy {
				if !by[c] {
					t.Fatalf("no letter of %s: %+v", c, r.Parked)
				}
			}
		})
	}
}

// appendEvent writes the next event of an order straight into the events
// container, as a newer build or a faulty writer might, and returns its
// stream and version.
func appendEvent(t *testing.T, s *verifytest.Store, eventType string, data map[string]any) (string, int64) {
	t.Helper()
	id, version := s.OrderWith(t, 1, 100)
	stream := order.StreamID(id)
	last := s.Item(t, cosmosdb.Events, stream, eventstore.EventDocumentID(stream, version))
	data["orderId"] = id
	last["id"] = eventstore.EventDocumentID(stream, version+1)
	last["version"] = version + 1
	last["type"] = eventType
	last["schemaVersion"] = 1
	last["data"] = data
	last["eventId"] = fmt.Sprintf("appended-%s", id)
	s.Upsert(t, cosmosdb.Events, stream, last)
	return stream, version + 1
}

func publishExtra(t *testing.T, s *verifytest.Store) {
	t.Helper()
	m, err := s.Stream(t).GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Header.Set(natsbus.HeaderMsgID, "not-an-event")
	s.PublishRaw(t, m.Subject, m.Header, m.Data)
}

func sorted(kinds []check.Kind) []check.Kind { return slices.Sorted(slices.Values(kinds)) }

func lines(ds []check.Difference) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}
