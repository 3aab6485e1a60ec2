package projector_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"

	"orderctx/domain/order"
	"orderctx/domain/order/ordertest"
	"orderctx/functions/consumertest"
	"orderctx/functions/parking"
	"orderctx/functions/projector"
	"orderctx/infra/deadletters"
	"orderctx/infra/viewstore"
)

// consumer wires the projector as the function host runs it, on w's store.
func consumer(t *testing.T, w *consumertest.World) *parking.Consumer {
	t.Helper()
	c, err := projector.NewConsumer(projector.Config{Views: viewstore.New(w.Conn)}, w.Registry, deadletters.New(w.Conn))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func handleAll(t *testing.T, c *parking.Consumer, batches [][]json.RawMessage) {
	t.Helper()
	for i, b := range batches {
		if _, err := c.Handle(context.Background(), b); err != nil {
			t.Fatalf("batch %d of %d: %v", i, len(batches), err)
		}
	}
}

// checkViews fails unless every order's view is the fold of its stream.
func checkViews(t *testing.T, w *consumertest.World, ids []string) map[string]projector.Stored {
	t.Helper()
	stored, err := viewstore.New(w.Conn).Get(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if want := w.View(t, id); !reflect.DeepEqual(stored[id].View, want) {
			t.Fatalf("view %s:\n got %+v\nwant %+v", id, stored[id].View, want)
		}
	}
	return stored
}

func letters(t *testing.T, w *consumertest.World) []parking.Letter {
	t.Helper()
	ls, err := deadletters.New(w.Conn).List(context.Background(), projector.Name)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestViewsEqualTheFoldOfEachStream projects a mixed workload's change feed,
// cut into batches of random sizes with re-deliveries and overlaps, and then
// the whole feed again: every view is the fold of its stream, and the second
// pass writes nothing.
func TestViewsEqualTheFoldOfEachStream(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 4)
	ids := w.Workload(t, 11, "mix", 40, 600)
	docs := w.Feed(t)
	c := consumer(t, w)
	handleAll(t, c, consumertest.Batches(ordertest.New(1).Rand(), docs, 100))
	before := checkViews(t, w, ids)
	handleAll(t, c, consumertest.Batches(ordertest.New(2).Rand(), docs, 100))
	after := checkViews(t, w, ids)
	for _, id := range ids {
		if before[id].ETag != after[id].ETag {
			t.Fatalf("view %s was written again by a re-delivery", id)
		}
	}
	if ls := letters(t, w); len(ls) != 0 || c.Parked() != 0 {
		t.Fatalf("parked %+v", ls)
	}
}

func TestGapFailsTheBatchOnTheStore(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 1)
	w.Workload(t, 3, "gap", 2, 30)
	docs := w.Feed(t)
	byPos := map[string]map[int64]json.RawMessage{}
	for _, d := range docs {
		s, v := consumertest.Position(t, d)
		if byPos[s] == nil {
			byPos[s] = map[int64]json.RawMessage{}
		}
		byPos[s][v] = d
	}
	a, b := byPos["order-o-gap-0"], byPos["order-o-gap-1"]
	if len(a) < 3 || len(b) < 1 {
		t.Fatalf("workload too small: %d and %d events", len(a), len(b))
	}
	c := consumer(t, w)
	handleAll(t, c, [][]json.RawMessage{{a[1]}})
	if _, err := c.Handle(context.Background(), []json.RawMessage{b[1], a[3]}); err == nil || !strings.Contains(err.Error(), "gap") {
		t.Fatalf("err = %v, want a gap", err)
	}
	stored, err := viewstore.New(w.Conn).Get(context.Background(), []string{"o-gap-0", "o-gap-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored["o-gap-0"].View.Version != 1 {
		t.Fatalf("a batch with a gap wrote: %+v", stored)
	}
	if ls := letters(t, w); len(ls) != 0 {
		t.Fatalf("a gap parked %+v", ls)
	}
}

// TestTwoProjectorsRacing runs two projectors over the same feed at the same
// time, each with its own batching: etag conditions make them re-apply on
// each other's views, and every view ends as the fold of its stream.
func TestTwoProjectorsRacing(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 4)
	ids := w.Workload(t, 5, "race", 12, 300)
	docs := w.Feed(t)
	var wg sync.WaitGroup
	redone := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			c := consumer(t, w)
			for _, b := range consumertest.Batches(ordertest.New(uint64(10+i)).Rand(), docs, 20) {
				res, err := c.Handle(context.Background(), b)
				if err != nil {
					t.Errorf("projector %d: %v", i, err)
					return
				}
				if len(res.Logs) > 0 && !strings.HasSuffix(res.Logs[0], " 0 writes redone after a conflict") {
					redone[i]++
				}
			}
		})
	}
	wg.Wait()
	checkViews(t, w, ids)
	t.Logf("batches with writes redone after a conflict: %v", redone)
}

// TestPoisonParksOnlyItsStream corrupts one event document of the feed: that
// event and the rest of its stream are parked with the reason and the raw
// document; every other view is the fold of its stream.
func TestPoisonParksOnlyItsStream(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 2)
	ids := w.Workload(t, 9, "poison", 20, 300)
	docs := w.Feed(t)
	victim := longest(t, docs)
	var bad json.RawMessage
	var tail []int64
	for i, d := range docs {
		s, v := consumertest.Position(t, d)
		if s != victim || v < 2 {
			continue
		}
		if v == 2 {
			docs[i] = json.RawMessage(strings.Replace(string(d), `"type":"order.`, `"type":"legacy.`, 1))
			bad = docs[i]
		}
		tail = append(tail, v)
	}
	if bad == nil || len(tail) < 2 {
		t.Fatalf("%s has %d events after the first", victim, len(tail))
	}
	c := consumer(t, w)
	handleAll(t, c, consumertest.Batches(ordertest.New(4).Rand(), docs, 50))
	var others []string
	for _, id := range ids {
		if order.StreamID(id) != victim {
			others = append(others, id)
		}
	}
	checkViews(t, w, others)
	victimID := strings.TrimPrefix(victim, order.StreamPrefix)
	stored, err := viewstore.New(w.Conn).Get(context.Background(), []string{victimID})
	if err != nil || stored[victimID].View.Version != 1 {
		t.Fatalf("victim view = %+v, %v; want version 1", stored, err)
	}
	ls := letters(t, w)
	if len(ls) != len(tail) {
		t.Fatalf("%d letters for a tail of %d: %+v", len(ls), len(tail), ls)
	}
	for i, l := range ls {
		if l.StreamID != victim || l.Version != tail[i] || l.Consumer != projector.Name || len(l.Document) == 0 {
			t.Fatalf("letter %d = %+v", i, l)
		}
	}
	if !strings.Contains(ls[0].Reason, "unknown event type") || string(ls[0].Document) != string(bad) || ls[0].Behind != 0 {
		t.Fatalf("poison letter = %+v", ls[0])
	}
	if ls[1].Behind != 2 {
		t.Fatalf("letter behind = %+v", ls[1])
	}
}

// longest returns the stream with the most events in docs.
func longest(t *testing.T, docs []json.RawMessage) string {
	t.Helper()
	counts := map[string]int{}
	best := ""
	for _, d := range docs {
		s, _ := consumertest.Position(t, d)
		counts[s]++
		if counts[s] > counts[best] {
			best = s
		}
	}
	return best
}
