// Package verifytest builds stores for the tests of `orderctx verify`: orders
// written through the real write side on the embedded store, the real
// consumers (projector, publisher, snapshotter, parking) run over the events
// container's change feed with re-deliveries, and the integration events on
// an embedded NATS JetStream server; then helpers that corrupt one part.
package verifytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/functions/consumers"
	"orderctx/functions/consumertest"
	"orderctx/functions/verify/check"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/feedreader"
)

// SnapshotEvery is the snapshot policy of the stores built here: small, so
// that many orders have snapshots.
const SnapshotEvery = 5

// Store is a store with its bus.
type Store struct {
	*consumertest.World
	Bus    *natsbus.Bus
	Set    *consumers.Set
	Orders []string
	seed   uint64
}

// Build writes a workload of commands random commands on orders orders
// through the write side on conn, then runs every consumer over the feed,
// publishing on the bus bc opens (closed when the test ends).
func Build(tb testing.TB, conn *cosmosdb.Conn, bc natsbus.Config, seed uint64, orders, commands int) *Store {
	tb.Helper()
	s := &Store{World: consumertest.OpenOn(tb, conn), seed: seed}
	if bc.Listen == "" {
		bc.Listen = "127.0.0.1:0"
	}
	bus, err := natsbus.Open(context.Background(), bc)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = bus.Close() })
	s.Bus = bus
	if s.Set, err = consumers.Build(consumers.Config{Conn: conn, Bus: bus, SnapshotEvery: SnapshotEvery}); err != nil {
		tb.Fatal(err)
	}
	s.Orders = s.Workload(tb, seed, fmt.Sprint(seed), orders, commands)
	s.Consume(tb)
	return s
}

// Consume runs every consumer over the whole feed, cut into random batches
// with re-deliveries and overlaps, as the Functions host delivers it.
func (s *Store) Consume(tb testing.TB) {
	tb.Helper()
	s.Deliver(tb, s.Feed(tb)...)
}

// Deliver hands documents to every consumer, in random batches with
// re-deliveries.
func (s *Store) Deliver(tb testing.TB, docs ...json.RawMessage) {
	tb.Helper()
	for name, c := range s.Set.Consumers {
		for _, b := range consumertest.Batches(ordertest.New(s.seed+1).Rand(), docs, 40) {
			if _, err := c.Handle(context.Background(), b); err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
		}
	}
}

// Sources are the feeds of the store and a reader of the bus's stream.
func (s *Store) Sources(tb testing.TB) check.Sources {
	tb.Helper()
	r, err := natsbus.OpenReader(context.Background(), natsbus.Config{URL: s.Bus.URL()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return check.Sources{
		Events:    feedreader.New(s.Conn, cosmosdb.Events, 0),
		Snapshots: feedreader.New(s.Conn, cosmosdb.Snapshots, 0),
		Letters:   feedreader.New(s.Conn, cosmosdb.DeadLetters, 0),
		Views:     []check.ViewSource{{Name: cosmosdb.Views, Feed: feedreader.New(s.Conn, cosmosdb.Views, 0)}},
		Bus:       r,
	}
}

// Check runs a check of the whole store.
func (s *Store) Check(tb testing.TB) *check.Report {
	tb.Helper()
	r, err := check.Run(context.Background(), s.Sources(tb), check.Options{MaxDiffs: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// OrderWith returns an order whose stream has from..to events, and its version.
func (s *Store) OrderWith(tb testing.TB, from, to int64) (string, int64) {
	tb.Helper()
	for _, id := range s.Orders {
		st, err := s.Events.Load(context.Background(), order.StreamID(id))
		if err != nil {
			tb.Fatal(err)
		}
		if st.Version >= from && st.Version <= to {
			return id, st.Version
		}
	}
	tb.Fatalf("no order with %d to %d events among %d", from, to, len(s.Orders))
	return "", 0
}

// Raw reads a document as stored.
func (s *Store) Raw(tb testing.TB, container, pk, id string) json.RawMessage {
	tb.Helper()
	resp, err := s.Conn.Container(container).ReadItem(context.Background(), azcosmos.NewPartitionKeyString(pk), id, nil)
	if err != nil {
		tb.Fatalf("read %s %s: %v", container, id, err)
	}
	return resp.Value
}

// Item reads a document.
func (s *Store) Item(tb testing.TB, container, pk, id string) map[string]any {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(s.Raw(tb, container, pk, id), &doc); err != nil {
		tb.Fatal(err)
	}
	return doc
}

// Upsert writes a document.
func (s *Store) Upsert(tb testing.TB, container, pk string, doc any) {
	tb.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Conn.UpsertItem(context.Background(), container, pk, raw); err != nil {
		tb.Fatal(err)
	}
}

// Delete deletes a document.
func (s *Store) Delete(tb testing.TB, container, pk, id string) {
	tb.Helper()
	_, err := s.Conn.Container(container).DeleteItem(context.Background(), azcosmos.NewPartitionKeyString(pk), id, nil)
	if err != nil && cosmosdb.StatusCode(err) != http.StatusNotFound {
		tb.Fatalf("delete %s %s: %v", container, id, err)
	}
}

// jetStream connects to the bus's server; closed when the test ends.
func (s *Store) jetStream(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(s.Bus.URL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

// Stream returns the bus's JetStream stream, for tests that change it.
func (s *Store) Stream(tb testing.TB) jetstream.Stream {
	tb.Helper()
	st, err := s.jetStream(tb).Stream(context.Background(), s.Bus.Stream())
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// PublishRaw publishes a message to the bus's stream as given.
func (s *Store) PublishRaw(tb testing.TB, subject string, h nats.Header, data []byte) {
	tb.Helper()
	ack, err := s.jetStream(tb).PublishMsg(context.Background(), &nats.Msg{Subject: subject, Header: h, Data: data})
	if err != nil || ack.Duplicate {
		tb.Fatalf("publish: %v (duplicate %v)", err, ack != nil && ack.Duplicate)
	}
}

// Republish stores a second message for an event whose message is on the
// bus: it shortens the stream's duplicate window and publishes the message
// again until JetStream stores it instead of dropping it as a duplicate.
func (s *Store) Republish(tb testing.TB, seq uint64) {
	tb.Helper()
	ctx := context.Background()
	js := s.jetStream(tb)
	st, err := js.Stream(ctx, s.Bus.Stream())
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := st.GetMsg(ctx, seq)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.Duplicates = 100 * time.Millisecond
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		tb.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: msg.Subject, Header: msg.Header, Data: msg.Data})
		if err != nil {
			tb.Fatal(err)
		}
		if !ack.Duplicate {
			return
		}
	}
	tb.Fatal("JetStream still drops the message as a duplicate")
}

// Acks are the acknowledgements the command API would have given for the
// event documents of a store (World.Feed): one per command id, naming its
// events, at the version of its last one. Events without a command id are
// left out.
func Acks(tb testing.TB, feed []json.RawMessage) []check.Ack {
	tb.Helper()
	byCommand := map[string]*check.Ack{}
	var ids []string
	for _, raw := range feed {
		var d struct {
			StreamID, CommandID, EventID string
			Version                      int64
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			tb.Fatalf("event %s: %v", raw, err)
		}
		if d.CommandID == "" {
			continue
		}
		a := byCommand[d.CommandID]
		if a == nil {
			a = &check.Ack{OrderID: strings.TrimPrefix(d.StreamID, order.StreamPrefix), CommandID: d.CommandID}
			byCommand[d.CommandID], ids = a, append(ids, d.CommandID)
		}
		a.EventIDs, a.Version = append(a.EventIDs, d.EventID), max(a.Version, d.Version)
	}
	out := make([]check.Ack, len(ids))
	for i, id := range ids {
		out[i] = *byCommand[id]
	}
	return out
}
