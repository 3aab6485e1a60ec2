package pgcopy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderview"
	"orderctx/functions/consumertest"
	"orderctx/functions/parking"
	"orderctx/functions/pgcopy"
	"orderctx/functions/projector"
	"orderctx/infra/deadletters"
	"orderctx/infra/pgviews"
	"orderctx/infra/pgviews/pgtest"
	"orderctx/infra/viewstore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// counting counts the writes that reach a store.
type counting struct {
	projector.Views
	writes atomic.Int64
}

func (c *counting) Create(ctx context.Context, v orderview.View) (string, error) {
	c.writes.Add(1)
	return c.Views.Create(ctx, v)
}

func (c *counting) Replace(ctx context.Context, v orderview.View, etag string) (string, error) {
	c.writes.Add(1)
	return c.Views.Replace(ctx, v, etag)
}

func openCopy(t *testing.T) *pgviews.Store {
	t.Helper()
	s, err := pgviews.Open(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func handleAll(t *testing.T, c *parking.Consumer, batches [][]json.RawMessage) {
	t.Helper()
	for i, b := range batches {
		if _, err := c.Handle(context.Background(), b); err != nil {
			t.Fatalf("batch %d of %d: %v", i, len(batches), err)
		}
	}
}

// TestCopyMatchesTheViewsRowForRow: a mixed workload's feed, cut into
// batches with re-deliveries and overlaps, fills the copy and (with another
// cut) the views container; every order's rows equal its view and the fold
// of its stream, and the whole feed again writes nothing.
func TestCopyMatchesTheViewsRowForRow(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 3)
	ids := w.Workload(t, 21, "pg", 40, 600)
	docs := w.Feed(t)
	store := openCopy(t)
	writes := &counting{Views: store}
	c, err := pgcopy.NewConsumer(writes, w.Registry, deadletters.New(w.Conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	handleAll(t, c, consumertest.Batches(ordertest.New(1).Rand(), docs, 80))
	proj, err := projector.NewConsumer(projector.Config{Views: viewstore.New(w.Conn)}, w.Registry, deadletters.New(w.Conn))
	if err != nil {
		t.Fatal(err)
	}
	handleAll(t, proj, consumertest.Batches(ordertest.New(2).Rand(), docs, 80))

	rows, err := store.All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	views, err := viewstore.New(w.Conn).Get(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ids) || len(views) != len(ids) {
		t.Fatalf("%d rows and %d views for %d orders", len(rows), len(views), len(ids))
	}
	for _, row := range rows {
		if fold := pgviews.AsStored(w.View(t, row.ID)); !reflect.DeepEqual(row, fold) || !reflect.DeepEqual(row, pgviews.AsStored(views[row.ID].View)) {
			t.Fatalf("order %s:\n rows %+v\n view %+v\n fold %+v", row.ID, row, views[row.ID].View, fold)
		}
	}
	before := writes.writes.Load()
	handleAll(t, c, consumertest.Batches(ordertest.New(3).Rand(), docs, 80))
	if n := writes.writes.Load() - before; n != 0 {
		t.Fatalf("the feed delivered again wrote %d orders", n)
	}
}

// TestPoisonIsParkedUnderItsOwnName: an event that does not decode parks
// its stream's tail in the copy's deadletters partition; the order keeps
// the rows before it and every other order is copied.
func TestPoisonIsParkedUnderItsOwnName(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 2)
	ids := w.Workload(t, 5, "poison", 12, 200)
	docs := w.Feed(t)
	victim, tail := "", 0
	for i, d := range docs {
		s, v := consumertest.Position(t, d)
		if victim == "" && v == 2 {
			victim = s
		}
		if s == victim && v >= 2 {
			tail++
			if v == 2 {
				docs[i] = json.RawMessage(strings.Replace(string(d), `"type":"order.`, `"type":"legacy.`, 1))
			}
		}
	}
	store := openCopy(t)
	letters := deadletters.New(w.Conn)
	c, err := pgcopy.NewConsumer(store, w.Registry, letters, nil)
	if err != nil {
		t.Fatal(err)
	}
	handleAll(t, c, consumertest.Batches(ordertest.New(4).Rand(), docs, 30))
	parked, err := letters.List(context.Background(), pgcopy.Name)
	if err != nil || len(parked) != tail || parked[0].StreamID != victim || !strings.Contains(parked[0].Reason, "unknown event type") {
		t.Fatalf("letters %+v (%v); want the %d events of %s from version 2", parked, err, tail, victim)
	}
	rows, err := store.Get(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		want := int64(1)
		if order.StreamID(id) != victim {
			want = w.View(t, id).Version
		}
		if rows[id].View.Version != want {
			t.Fatalf("order %s copied at version %d, want %d", id, rows[id].View.Version, want)
		}
	}
}

func TestDisabledPassesEventsBy(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	c := pgcopy.Disabled(slog.New(slog.NewTextHandler(&logs, nil)))
	for range 2 {
		res, err := c.Handle(context.Background(), []json.RawMessage{[]byte(`{}`), []byte(`{}`)})
		if err != nil || len(res.Logs) != 1 || !strings.Contains(res.Logs[0], "not configured") {
			t.Fatalf("result %+v, %v", res, err)
		}
	}
	if n := strings.Count(logs.String(), pgcopy.EnvDSN); n != 1 {
		t.Fatalf("warned %d times, want once: %s", n, logs.String())
	}
}
