// Package consumertest builds what the tests of change-feed consumers need: a
// real write side (the order application service on the event store, on the
// embedded Cosmos DB-compatible server in-process), a random workload of
// orders, the events container's change feed as the Functions host would
// deliver it, and batchings of that feed with re-deliveries.
package consumertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderapp"
	"orderctx/domain/orderview"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/eventstore"
)

// World is the write side on an embedded store.
type World struct {
	Conn     *cosmosdb.Conn
	Registry *es.Registry
	Events   *eventstore.Store
	Service  *orderapp.Service
	Clock    *es.FixedClock
}

// Open starts an in-memory embedded store with partitions physical
// partitions per container and wires the write side on it, as the command
// API does. It is closed when the test ends.
func Open(tb testing.TB, partitions int) *World {
	tb.Helper()
	return On(tb, cosmosdbtest.Embedded(tb, partitions))
}

// OpenOn is On, under the name verify's tests use.
func OpenOn(tb testing.TB, conn *cosmosdb.Conn) *World {
	tb.Helper()
	return On(tb, conn)
}

// On wires the write side on an open connection: a store that the test
// also serves to other processes, say.
func On(tb testing.TB, conn *cosmosdb.Conn) *World {
	tb.Helper()
	reg := ordertest.Registry(tb)
	store := eventstore.New(conn, reg)
	store.AcceptSnapshots(func(s es.Snapshot) bool {
		return s.AggregateType == order.SnapshotType && s.SchemaVersion == order.SnapshotSchemaVersion
	})
	clock := es.NewFixedClock(time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC))
	return &World{Conn: conn, Registry: reg, Events: store, Service: orderapp.NewService(store, reg, clock, store.Ready), Clock: clock}
}

// Workload runs commands random commands against orders orders (ids
// "o-<prefix>-<n>"), picking the order at random each time, so the feed
// interleaves the orders' events. Commands the domain refuses append
// nothing. It returns the ids of the orders that exist.
func (w *World) Workload(tb testing.TB, seed uint64, prefix string, orders, commands int) []string {
	tb.Helper()
	g := ordertest.New(seed)
	ids := make([]string, orders)
	for i := range ids {
		ids[i] = fmt.Sprintf("o-%s-%d", prefix, i)
	}
	placed := map[string]bool{}
	for n := range commands {
		id := ids[g.Rand().IntN(orders)]
		now := w.Clock.Advance(time.Second)
		// Every command carries an id, as the command API gives each one.
		opts := orderapp.UpdateOptions{CommandID: fmt.Sprintf("%s-c%d", prefix, n)}
		_, err := w.Service.Update(context.Background(), id, opts, func(o *order.Order) error {
			_, err := g.Decide(o, now)
			return err
		})
		if es.ErrorCode(err) == es.Internal || es.ErrorCode(err) == es.Unavailable {
			tb.Fatalf("command on %s: %v", id, err)
		}
		if err == nil {
			placed[id] = true
		}
	}
	var out []string
	for _, id := range ids {
		if placed[id] {
			out = append(out, id)
		}
	}
	return out
}

// Feed reads the events container's change feed from the beginning, as the
// Functions host delivers it: documents with their system properties, in
// feed order (per partition key range; in write order within a stream).
func (w *World) Feed(tb testing.TB) []json.RawMessage {
	tb.Helper()
	ctx := context.Background()
	c := w.Conn.Container(cosmosdb.Events)
	ranges, err := c.ReadFeedRanges(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var docs []json.RawMessage
	for _, r := range ranges {
		opts := &azcosmos.ChangeFeedOptions{MaxItemCount: 1000, FeedRange: &r}
		for {
			resp, err := c.ReadChangeFeed(ctx, opts)
			if err != nil {
				tb.Fatal(err)
			}
			if len(resp.Items) == 0 {
				break
			}
			for _, it := range resp.Items {
				docs = append(docs, json.RawMessage(it))
			}
			token := resp.ContinuationToken
			opts = &azcosmos.ChangeFeedOptions{MaxItemCount: 1000, Continuation: &token}
		}
	}
	return docs
}

// Batches cuts docs into batches of random sizes (1 to max), the way the host
// delivers a feed with re-deliveries: sometimes a batch comes again, and
// sometimes the next batch starts a few documents back.
func Batches(rng *rand.Rand, docs []json.RawMessage, max int) [][]json.RawMessage {
	var out [][]json.RawMessage
	for i := 0; i < len(docs); {
		n := min(1+rng.IntN(max), len(docs)-i)
		b := docs[i:min(i+n, len(docs))]
		out = append(out, b)
		switch rng.IntN(6) {
		case 0:
			out = append(out, b)
		case 1:
			i += n - rng.IntN(n)/2 // overlap with the next batch
			continue
		}
		i += n
	}
	return out
}

// View returns the view an order must have: the view of the aggregate the
// write side rebuilds from the order's stream, stamped with the time of its
// last event.
func (w *World) View(tb testing.TB, orderID string) orderview.View {
	tb.Helper()
	stream, err := w.Events.Load(context.Background(), order.StreamID(orderID))
	if err != nil {
		tb.Fatal(err)
	}
	if stream.Snapshot != nil || len(stream.Events) == 0 {
		tb.Fatalf("order %s: %d events after a snapshot %v; want the whole stream", orderID, len(stream.Events), stream.Snapshot != nil)
	}
	o, err := orderapp.Rebuild(orderID, stream)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := orderview.FromState(o.State(), o.Version(), stream.Events[len(stream.Events)-1].OccurredAt)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// Position reads the stream and version of an event document.
func Position(tb testing.TB, doc json.RawMessage) (streamID string, version int64) {
	tb.Helper()
	var d struct {
		StreamID string `json:"streamId"`
		Version  int64  `json:"version"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		tb.Fatal(err)
	}
	return d.StreamID, d.Version
}

// Document returns an event's document as the event store writes it and the
// change feed delivers it.
func Document(tb testing.TB, reg *es.Registry, e es.Envelope) json.RawMessage {
	tb.Helper()
	enc, err := reg.EncodeEnvelope(e)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := json.Marshal(struct {
		ID string `json:"id"`
		es.EncodedEvent
	}{eventstore.EventDocumentID(e.StreamID, e.Version), enc})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Backlog returns the documents of at least n events of random orders (ids
// "o-<n>"), in a feed order where window orders are under way at any time:
// the next event comes from one of them at random, and an order that has
// no more events is replaced by a new one. A window of 1 gives each order's
// events in one run; a large window spreads them, so that a batch of the
// feed touches nearly as many orders as it has events.
func Backlog(tb testing.TB, reg *es.Registry, seed uint64, n, window int) []json.RawMessage {
	tb.Helper()
	g := ordertest.New(seed)
	start := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	next := 0
	newOrder := func() []es.Envelope {
		for {
			next++
			if _, events := g.History(tb, reg, fmt.Sprintf("o-%d", next), 14, start); len(events) > 0 {
				return events
			}
		}
	}
	active := make([][]es.Envelope, window)
	for i := range active {
		active[i] = newOrder()
	}
	docs := make([]json.RawMessage, 0, n)
	for len(docs) < n {
		i := g.Rand().IntN(window)
		docs = append(docs, Document(tb, reg, active[i][0]))
		if active[i] = active[i][1:]; len(active[i]) == 0 {
			active[i] = newOrder()
		}
	}
	return docs
}
