package verifytest

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderview"
	"orderctx/functions/consumertest"
	"orderctx/functions/publisher"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
)

// Fill shapes: orders under way at any time, commands per order, and the
// version of the one snapshot an order gets when it reaches it.
const (
	fillWindow      = 1000
	fillCommands    = 14
	fillSnapshotAt  = 10
	fillWriters     = 8
	fillPublishEach = 1000
)

// Fill writes at least n events of random orders into a store the fast way,
// for benchmarks and large runs: each event document as the event store
// writes it (upserted; fillWindow orders interleave in the feed), each
// order's view as the projector writes it once its events are written, a
// snapshot at version 10 of orders that reach it, and every event's message
// through the real publisher. It returns the number of events and orders.
func Fill(tb testing.TB, conn *cosmosdb.Conn, bus publisher.Bus, n int, seed uint64) (events, orders int) {
	tb.Helper()
	reg := ordertest.Registry(tb)
	history := eventstore.New(conn, reg)
	history.AcceptSnapshots(func(es.Snapshot) bool { return false })
	pub, err := publisher.New(bus, history, publisher.Options{CachedOrders: 2 * fillWindow})
	if err != nil {
		tb.Fatal(err)
	}
	w := newWriters(conn, eventstore.New(conn, reg))
	g := ordertest.New(seed)
	start := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	newOrder := func() []es.Envelope {
		for {
			orders++
			if _, evs := g.History(tb, reg, fmt.Sprintf("f%d-%d", seed, orders), fillCommands, start); len(evs) > 0 {
				return evs
			}
		}
	}
	active := make([][]es.Envelope, fillWindow)
	done := make([][]es.Envelope, fillWindow) // each active order's events so far
	for i := range active {
		active[i] = newOrder()
	}
	var batch []es.Envelope
	for events < n {
		i := g.Rand().IntN(fillWindow)
		e := active[i][0]
		w.event(tb, reg, e)
		done[i] = append(done[i], e)
		batch = append(batch, e)
		events++
		if active[i] = active[i][1:]; len(active[i]) == 0 {
			w.order(tb, done[i])
			active[i], done[i] = newOrder(), nil
		}
		if len(batch) == fillPublishEach {
			w.wait(tb) // the publisher loads a stream it does not hold: its events must be stored
			if err := pub.Handle(context.Background(), batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for i := range done {
		if len(done[i]) > 0 {
			w.order(tb, done[i])
		}
	}
	w.wait(tb)
	if err := pub.Handle(context.Background(), batch); err != nil {
		tb.Fatal(err)
	}
	w.close()
	return events, orders
}

// writers write documents on fillWriters goroutines, each stream's on the
// same one, so a stream's documents are written in order.
type writers struct {
	conn  *cosmosdb.Conn
	snaps *eventstore.Store
	jobs  []chan func() error
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
}

func newWriters(conn *cosmosdb.Conn, snaps *eventstore.Store) *writers {
	w := &writers{conn: conn, snaps: snaps, jobs: make([]chan func() error, fillWriters)}
	for i := range w.jobs {
		w.jobs[i] = make(chan func() error, 256)
		go func() {
			for job := range w.jobs[i] {
				if err := job(); err != nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
				}
				w.wg.Done()
			}
		}()
	}
	return w
}

func (w *writers) submit(stream string, job func() error) {
	h := fnv.New32a()
	h.Write([]byte(stream))
	w.wg.Add(1)
	w.jobs[h.Sum32()%fillWriters] <- job
}

func (w *writers) event(tb testing.TB, reg *es.Registry, e es.Envelope) {
	doc := consumertest.Document(tb, reg, e)
	w.submit(e.StreamID, func() error {
		return w.conn.UpsertItem(context.Background(), cosmosdb.Events, e.StreamID, doc)
	})
}

// order writes an order's view and, when it reached fillSnapshotAt, its snapshot.
func (w *writers) order(tb testing.TB, events []es.Envelope) {
	tb.Helper()
	view, err := orderview.Apply(nil, events)
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := json.Marshal(view)
	if err != nil {
		tb.Fatal(err)
	}
	var snap *es.Snapshot
	if len(events) >= fillSnapshotAt {
		o, err := order.Load(view.OrderID, events[:fillSnapshotAt])
		if err != nil {
			tb.Fatal(err)
		}
		s, err := o.Snapshot()
		if err != nil {
			tb.Fatal(err)
		}
		snap = &s
	}
	w.submit(events[0].StreamID, func() error {
		if err := w.conn.UpsertItem(context.Background(), cosmosdb.Views, view.ID, doc); err != nil {
			return err
		}
		if snap != nil {
			return w.snaps.WriteSnapshot(context.Background(), *snap)
		}
		return nil
	})
}

// wait waits until everything submitted is written.
func (w *writers) wait(tb testing.TB) {
	tb.Helper()
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		tb.Fatal(w.err)
	}
}

func (w *writers) close() {
	for _, c := range w.jobs {
		close(c)
	}
}
