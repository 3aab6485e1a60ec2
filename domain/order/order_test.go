package order_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestStreamID(t *testing.T) {
	t.Parallel()
	if got := order.StreamID("o-1"); got != "order-o-1" {
		t.Fatalf("StreamID = %q", got)
	}
	if o := order.New("o-1"); o.StreamID() != "order-o-1" || o.ID() != "o-1" || o.Exists() || o.Version() != 0 {
		t.Fatalf("New = id %q stream %q exists %v version %d", o.ID(), o.StreamID(), o.Exists(), o.Version())
	}
}

func TestLoadRejectsCorruptHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		history []es.Envelope
	}{
		{"event before placed", history(added("p-1", 1, 1, 0))},
		{"placed twice", history(placed(), placed())},
		{"removing an unknown product", history(placed(), removed("p-1"))},
		{"payload of another aggregate", history(placed(), foreign{})},
		{"version gap", func() []es.Envelope { h := history(placed(), paid(0)); h[1].Version = 3; return h }()},
		{"other stream", func() []es.Envelope { h := history(placed()); h[0].StreamID = order.StreamID("o-2"); return h }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := order.Load(oid, tc.history); es.ErrorCode(err) != es.Internal {
				t.Fatalf("err = %v, want an internal error", err)
			}
		})
	}
}

type foreign struct{}

func (foreign) EventType() string { return "other.happened" }

func TestCommitBookkeeping(t *testing.T) {
	t.Parallel()
	o := given(t, placed())
	if err := o.AddItem(addCmd("p-1", 1, 100, nil)); err != nil {
		t.Fatal(err)
	}
	if err := o.Pay(payCmd(100), t0); err != nil {
		t.Fatal(err)
	}
	if o.CommittedVersion() != 1 || o.Version() != 3 || len(o.Pending()) != 2 {
		t.Fatalf("committed %d version %d pending %d", o.CommittedVersion(), o.Version(), len(o.Pending()))
	}
	if _, err := o.Snapshot(); err == nil {
		t.Fatal("snapshot with pending events succeeded")
	}
	o.MarkCommitted()
	if o.CommittedVersion() != 3 || len(o.Pending()) != 0 {
		t.Fatalf("after commit: committed %d pending %d", o.CommittedVersion(), len(o.Pending()))
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	o := given(t, placed(item("p-1", 2, 1000, 300)), added("p-2", 1, 5, 0), paid(1705), cancelled(eurPtr(1705)))
	s, err := o.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 4 || s.StreamID != order.StreamID(oid) || s.AggregateType != order.SnapshotType || s.SchemaVersion != order.SnapshotSchemaVersion {
		t.Fatalf("snapshot = %+v", s)
	}
	// Snapshots travel as JSON documents.
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back es.Snapshot
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	r, err := order.FromSnapshot(back, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.State(), o.State()) || r.Version() != 4 || r.CommittedVersion() != 4 {
		t.Fatalf("restored %+v (v%d)\nwant %+v", r.State(), r.Version(), o.State())
	}
}

func TestFromSnapshotWithFollowingEvents(t *testing.T) {
	t.Parallel()
	full := history(placed(item("p-1", 2, 1000, 300)), added("p-2", 1, 5, 0), paid(1705), shipped())
	partial, err := order.Load(oid, full[:2])
	if err != nil {
		t.Fatal(err)
	}
	s, err := partial.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := order.FromSnapshot(s, full[2:])
	if err != nil {
		t.Fatal(err)
	}
	want, err := order.Load(oid, full)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.State(), want.State()) || r.Version() != 4 {
		t.Fatalf("restored %+v (v%d)\nwant %+v", r.State(), r.Version(), want.State())
	}
	if _, err := order.FromSnapshot(s, full[3:]); es.ErrorCode(err) != es.Internal {
		t.Fatalf("following events with a gap: err = %v", err)
	}
}

func TestFromSnapshotIncompatible(t *testing.T) {
	t.Parallel()
	s, err := given(t, placed()).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*es.Snapshot)
	}{
		{"stream without prefix", func(s *es.Snapshot) { s.StreamID = oid }},
		{"other aggregate type", func(s *es.Snapshot) { s.AggregateType = "invoice" }},
		{"older state schema", func(s *es.Snapshot) { s.SchemaVersion = order.SnapshotSchemaVersion - 1 }},
		{"state of another order", func(s *es.Snapshot) { s.State = json.RawMessage(`{"orderId":"o-2","status":"submitted"}`) }},
		{"state of an unplaced order", func(s *es.Snapshot) { s.State = json.RawMessage(`{"orderId":"o-1"}`) }},
		{"broken state", func(s *es.Snapshot) { s.State = json.RawMessage(`{"items":7}`) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := s
			tc.mutate(&c)
			if _, err := order.FromSnapshot(c, nil); !errors.Is(err, es.ErrSnapshotIncompatible) {
				t.Fatalf("err = %v, want ErrSnapshotIncompatible", err)
			}
		})
	}
}

func TestSnapshotOfUnplacedOrder(t *testing.T) {
	t.Parallel()
	if _, err := order.New(oid).Snapshot(); es.ErrorCode(err) != es.NotFound {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestStateIsACopy(t *testing.T) {
	t.Parallel()
	o := given(t, placed(item("p-1", 1, 100, 0)), paid(100), cancelled(eurPtr(100)))
	s := o.State()
	s.Items[0].Quantity = 99
	s.Payment.Amount.Amount = 1
	s.Cancellation.RefundDue.Amount = 1
	items := o.Items()
	items[0].Name = "changed"
	if got := o.State(); got.Items[0].Quantity != 1 || got.Items[0].Name != "Product p-1" || got.Payment.Amount != eur(100) || *got.Cancellation.RefundDue != eur(100) {
		t.Fatalf("the order changed through a copy: %+v", got)
	}
}

// TestCloneIsIndependent decides on a clone (merging a line in place, paying)
// and checks that the original kept its state, version and pending events,
// and that the clone went on from the same point.
func TestCloneIsIndependent(t *testing.T) {
	t.Parallel()
	o := given(t, placed(item("p-1", 1, 100, 0)))
	if err := o.AddItem(addCmd("p-2", 1, 50, nil)); err != nil {
		t.Fatal(err)
	}
	before := o.State()
	c := o.Clone()
	if !reflect.DeepEqual(c.State(), before) || c.Version() != o.Version() || c.CommittedVersion() != o.CommittedVersion() || len(c.Pending()) != 1 {
		t.Fatalf("clone differs: %+v v%d/%d pending %d", c.State(), c.Version(), c.CommittedVersion(), len(c.Pending()))
	}
	if err := c.AddItem(addCmd("p-1", 2, 100, nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.Pay(payCmd(350), t0); err != nil {
		t.Fatal(err)
	}
	if got := o.State(); !reflect.DeepEqual(got, before) || o.Version() != 2 || len(o.Pending()) != 1 {
		t.Fatalf("the original changed through its clone: %+v v%d pending %d", got, o.Version(), len(o.Pending()))
	}
	if c.Status() != order.StatusPaid || c.State().Items[0].Quantity != 3 || c.Version() != 4 || len(c.Pending()) != 3 {
		t.Fatalf("clone after deciding: %+v v%d pending %d", c.State(), c.Version(), len(c.Pending()))
	}
	c.MarkCommitted()
	if o.CommittedVersion() != 1 || c.CommittedVersion() != 4 {
		t.Fatalf("committed versions: original %d clone %d", o.CommittedVersion(), c.CommittedVersion())
	}
}
