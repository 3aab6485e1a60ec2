package es_test

import (
	"errors"
	"reflect"
	"testing"

	"orderctx/domain/es"
)

func TestBaseRecordAndCommit(t *testing.T) {
	t.Parallel()
	c := newCounter("c-1")
	if err := c.root.LoadFromHistory(envelopes("c-1", 1, incremented{By: 2}, renamed{Name: "a"})); err != nil {
		t.Fatal(err)
	}
	if c.root.Version() != 2 || c.root.CommittedVersion() != 2 || len(c.root.Pending()) != 0 {
		t.Fatalf("after load: version %d committed %d pending %d", c.root.Version(), c.root.CommittedVersion(), len(c.root.Pending()))
	}
	if err := c.root.Record(incremented{By: 5}); err != nil {
		t.Fatal(err)
	}
	if c.Total != 7 || c.root.Version() != 3 || c.root.CommittedVersion() != 2 {
		t.Fatalf("after record: total %d version %d committed %d", c.Total, c.root.Version(), c.root.CommittedVersion())
	}
	if got, want := c.root.Pending(), []es.Payload{incremented{By: 5}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pending = %v, want %v", got, want)
	}
	if err := c.root.Record(unregistered{}); err == nil {
		t.Fatal("recording an event apply refuses succeeded")
	}
	if c.root.Version() != 3 || len(c.root.Pending()) != 1 {
		t.Fatalf("refused event changed the bookkeeping: version %d pending %d", c.root.Version(), len(c.root.Pending()))
	}
	c.root.MarkCommitted()
	if c.root.CommittedVersion() != 3 || len(c.root.Pending()) != 0 {
		t.Fatalf("after commit: committed %d pending %d", c.root.CommittedVersion(), len(c.root.Pending()))
	}
}

func TestBaseLoadFromHistoryRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		history []es.Envelope
	}{
		{name: "other stream", history: envelopes("c-2", 1, incremented{By: 1})},
		{name: "gap", history: append(envelopes("c-1", 1, incremented{By: 1}), envelopes("c-1", 3, incremented{By: 1})...)},
		{name: "not starting at 1", history: envelopes("c-1", 2, incremented{By: 1})},
		{name: "nil payload", history: []es.Envelope{{Metadata: es.Metadata{StreamID: "c-1", Version: 1}}}},
		{name: "type disagrees with payload", history: []es.Envelope{{Type: "test.renamed", Payload: incremented{}, Metadata: es.Metadata{StreamID: "c-1", Version: 1}}}},
		{name: "unknown payload", history: envelopes("c-1", 1, unregistered{})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := newCounter("c-1").root.LoadFromHistory(tc.history)
			if got := es.ErrorRule(err); got != es.RuleCorruptHistory {
				t.Fatalf("err = %v (rule %q), want rule %s", err, got, es.RuleCorruptHistory)
			}
		})
	}
}

func TestBaseSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	c := newCounter("c-1")
	if err := c.root.LoadFromHistory(envelopes("c-1", 1, incremented{By: 2}, renamed{Name: "n"}, incremented{By: 3})); err != nil {
		t.Fatal(err)
	}
	s, err := c.root.TakeSnapshot("counter", 1, c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 3 || s.StreamID != "c-1" {
		t.Fatalf("snapshot = %+v", s)
	}
	r := newCounter("c-1")
	if err := r.root.RestoreSnapshot(s, "counter", 1, r); err != nil {
		t.Fatal(err)
	}
	if err := r.root.LoadFromHistory(envelopes("c-1", 4, incremented{By: 10})); err != nil {
		t.Fatal(err)
	}
	if r.Total != 15 || r.Name != "n" || r.root.Version() != 4 {
		t.Fatalf("restored = total %d name %q version %d", r.Total, r.Name, r.root.Version())
	}

	if err := r.root.Record(incremented{By: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.root.TakeSnapshot("counter", 1, r); err == nil {
		t.Fatal("snapshot with pending events succeeded")
	}
	if _, err := newCounter("c-9").root.TakeSnapshot("counter", 1, nil); err == nil {
		t.Fatal("snapshot of an empty stream succeeded")
	}
}

func TestBaseRestoreSnapshotIncompatible(t *testing.T) {
	t.Parallel()
	good := es.Snapshot{StreamID: "c-1", AggregateType: "counter", SchemaVersion: 1, Version: 2, State: []byte(`{"total":1}`)}
	tests := []struct {
		name   string
		mutate func(*es.Snapshot)
	}{
		{name: "other stream", mutate: func(s *es.Snapshot) { s.StreamID = "c-2" }},
		{name: "other type", mutate: func(s *es.Snapshot) { s.AggregateType = "order" }},
		{name: "old state schema", mutate: func(s *es.Snapshot) { s.SchemaVersion = 0 }},
		{name: "no version", mutate: func(s *es.Snapshot) { s.Version = 0 }},
		{name: "bad json", mutate: func(s *es.Snapshot) { s.State = []byte(`{`) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := good
			tc.mutate(&s)
			c := newCounter("c-1")
			if err := c.root.RestoreSnapshot(s, "counter", 1, c); !errors.Is(err, es.ErrSnapshotIncompatible) {
				t.Fatalf("err = %v, want ErrSnapshotIncompatible", err)
			}
		})
	}
}
