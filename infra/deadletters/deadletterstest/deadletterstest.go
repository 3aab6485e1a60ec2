// Package deadletterstest is the acceptance suite every dead-letter store
// (parking.Store) passes.
package deadletterstest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"orderctx/functions/parking"
)

// Store is a parking.Store that can also list what it holds.
type Store interface {
	parking.Store
	List(ctx context.Context, consumer string) ([]parking.Letter, error)
}

// Run runs the suite on a fresh store from newStore for each test. Consumer
// names carry a per-run prefix, so the suite can run against a shared account.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	run := fmt.Sprintf("t%x-", time.Now().UnixNano())
	t.Run("heads per consumer and stream", func(t *testing.T) { testHeads(t, newStore(t), run) })
	t.Run("parking again keeps the first letter", func(t *testing.T) { testParkTwice(t, newStore(t), run+"projector") })
	t.Run("documents round trip", func(t *testing.T) { testDocuments(t, newStore(t), run+"projector") })
	t.Run("heads of many streams", func(t *testing.T) { testManyStreams(t, newStore(t), run+"projector") })
	t.Run("any parked per consumer", func(t *testing.T) { testAnyParked(t, newStore(t), run) })
}

var at = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

func letter(consumer, stream string, version, behind int64) parking.Letter {
	return parking.Letter{ID: fmt.Sprintf("%s:%d", stream, version), Consumer: consumer, StreamID: stream, Version: version,
		EventID: fmt.Sprintf("e-%s-%d", stream, version), EventType: "order.paid", Reason: "poison", Behind: behind, ParkedAt: at,
		Document: json.RawMessage(fmt.Sprintf(`{"id":"%s:%d","streamId":"%s","version":%d}`, stream, version, stream, version))}
}

func park(t *testing.T, s Store, letters ...parking.Letter) {
	t.Helper()
	if err := s.Park(context.Background(), letters); err != nil {
		t.Fatal(err)
	}
}

func heads(t *testing.T, s Store, consumer string, streams ...string) map[string]int64 {
	t.Helper()
	h, err := s.Heads(context.Background(), consumer, streams)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testHeads(t *testing.T, s Store, run string) {
	projector, publisher := run+"projector", run+"publisher"
	if h := heads(t, s, projector, "s1"); len(h) != 0 {
		t.Fatalf("heads of an empty store = %v", h)
	}
	park(t, s, letter(projector, "s1", 3, 0), letter(projector, "s1", 4, 3), letter(projector, "s2", 7, 0),
		letter(publisher, "s1", 1, 0))
	tests := []struct {
		consumer string
		streams  []string
		want     map[string]int64
	}{
		{projector, []string{"s1", "s2", "s3"}, map[string]int64{"s1": 3, "s2": 7}},
		{projector, []string{"s2"}, map[string]int64{"s2": 7}},
		{publisher, []string{"s1", "s2"}, map[string]int64{"s1": 1}},
		{run + "snapshotter", []string{"s1"}, map[string]int64{}},
		{projector, nil, map[string]int64{}},
	}
	for _, tc := range tests {
		if got := heads(t, s, tc.consumer, tc.streams...); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Heads(%s, %v) = %v, want %v", tc.consumer, tc.streams, got, tc.want)
		}
	}
}

func testParkTwice(t *testing.T, s Store, consumer string) {
	first := letter(consumer, "s1", 2, 0)
	again := first
	again.Reason, again.Behind = "an earlier event of the stream is parked", 2
	park(t, s, first)
	park(t, s, again, letter(consumer, "s1", 3, 2))
	got, err := s.List(context.Background(), consumer)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != first.ID || got[0].Reason != "poison" || got[0].Behind != 0 || got[1].Version != 3 {
		t.Fatalf("letters = %+v", got)
	}
}

func testDocuments(t *testing.T, s Store, consumer string) {
	withJSON := letter(consumer, "s1", 5, 0)
	withJSON.Document = json.RawMessage(`{"id":"s1:5","data":{"n":[1,2,{"x":"ü"}]}}`)
	withJSON.DocumentBytes = len(withJSON.Document)
	withText := parking.Letter{ID: "undecodable-0a1b", Consumer: consumer, Reason: "not an event document",
		ParkedAt: at.Add(time.Second), DocumentText: `{"id":`, DocumentBytes: 6}
	park(t, s, withJSON, withText)
	got, err := s.List(context.Background(), consumer)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("letters = %+v", got)
	}
	var want, have any
	_ = json.Unmarshal(withJSON.Document, &want)
	_ = json.Unmarshal(got[0].Document, &have)
	if !reflect.DeepEqual(have, want) || got[0].EventID != withJSON.EventID || got[0].EventType != "order.paid" ||
		!got[0].ParkedAt.Equal(at) || got[0].DocumentBytes != withJSON.DocumentBytes {
		t.Errorf("letter with a JSON document = %+v", got[0])
	}
	if got[1].DocumentText != withText.DocumentText || got[1].Document != nil || got[1].StreamID != "" {
		t.Errorf("letter with a text document = %+v", got[1])
	}
}

func testManyStreams(t *testing.T, s Store, consumer string) {
	var streams []string
	var letters []parking.Letter
	want := map[string]int64{}
	for i := range 150 {
		stream := fmt.Sprintf("order-%03d", i)
		streams = append(streams, stream)
		if i%3 == 0 {
			letters = append(letters, letter(consumer, stream, int64(i+1), 0))
			want[stream] = int64(i + 1)
		}
	}
	park(t, s, letters...)
	if got := heads(t, s, consumer, streams...); !reflect.DeepEqual(got, want) {
		t.Fatalf("Heads of 150 streams = %v, want %v", got, want)
	}
}

func testAnyParked(t *testing.T, s Store, run string) {
	projector, publisher, snapshotter := run+"projector", run+"publisher", run+"snapshotter"
	undecodable := parking.Letter{ID: "undecodable-0a1b", Consumer: snapshotter, Reason: "not an event document",
		ParkedAt: at, DocumentText: `{"id":`, DocumentBytes: 6}
	park(t, s, letter(projector, "s1", 3, 0), undecodable)
	for _, tc := range []struct {
		consumer string
		want     bool
	}{
		{projector, true},
		{publisher, false},
		{snapshotter, false}, // a letter without a stream blocks nothing
	} {
		got, err := s.AnyParked(context.Background(), tc.consumer)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("AnyParked(%s) = %v, want %v", tc.consumer, got, tc.want)
		}
	}
}
