package check_test

import (
	"strings"
	"testing"

	"orderctx/domain/order"
	"orderctx/functions/verify/check"
	"orderctx/functions/verify/verifytest"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
)

// TestAcksAreChecked: the acknowledgements of every command of a consistent
// store pass; an acknowledged command whose event is gone, one applied a
// second time, and one acknowledged twice with different answers are each
// found, naming the stream.
func TestAcksAreChecked(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// corrupt damages the store or the acks and returns the stream at fault.
		corrupt func(t *testing.T, s *verifytest.Store, acks []check.Ack) ([]check.Ack, string)
		want    check.Kind
	}{
		{name: "nothing", corrupt: func(_ *testing.T, _ *verifytest.Store, acks []check.Ack) ([]check.Ack, string) { return acks, "" }},
		{name: "an acknowledged event lost", want: check.AckMissing,
			corrupt: func(t *testing.T, s *verifytest.Store, acks []check.Ack) ([]check.Ack, string) {
				a := acks[len(acks)-1]
				stream := order.StreamID(a.OrderID)
				s.Delete(t, cosmosdb.Events, stream, eventstore.EventDocumentID(stream, a.Version))
				return acks, stream
			}},
		{name: "an acknowledgement of a command the store never took", want: check.AckMissing,
			corrupt: func(_ *testing.T, _ *verifytest.Store, acks []check.Ack) ([]check.Ack, string) {
				a := acks[0]
				a.CommandID, a.EventIDs = "never-stored", []string{"00000000-0000-4000-8000-000000000001"}
				return append(acks, a), order.StreamID(a.OrderID)
			}},
		{name: "a command applied twice", want: check.AckTwice,
			corrupt: func(t *testing.T, s *verifytest.Store, acks []check.Ack) ([]check.Ack, string) {
				a := acks[0]
				stream := order.StreamID(a.OrderID)
				last := lastVersion(t, s, stream)
				doc := s.Item(t, cosmosdb.Events, stream, eventstore.EventDocumentID(stream, a.Version))
				doc["id"], doc["version"], doc["eventId"] = eventstore.EventDocumentID(stream, last+1), last+1, "00000000-0000-4000-8000-000000000002"
				s.Upsert(t, cosmosdb.Events, stream, doc)
				return acks, stream
			}},
		{name: "one command acknowledged with two answers", want: check.AckDiffers,
			corrupt: func(_ *testing.T, _ *verifytest.Store, acks []check.Ack) ([]check.Ack, string) {
				a := acks[1]
				a.Version++
				return append(acks, a), ""
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := build(t, 11)
			acks := verifytest.Acks(t, s.Feed(t))
			if len(acks) < 100 {
				t.Fatalf("%d commands with ids in the store, want at least 100", len(acks))
			}
			acks, stream := tc.corrupt(t, s, acks)
			r, err := check.Run(t.Context(), s.Sources(t), check.Options{MaxDiffs: 1000, Acks: acks})
			if err != nil {
				t.Fatal(err)
			}
			if r.Counts.Acks < 100 {
				t.Fatalf("%d acks checked", r.Counts.Acks)
			}
			var got []check.Difference
			for _, d := range r.Differences {
				if strings.HasPrefix(string(d.Kind), "ack.") {
					got = append(got, d)
				}
			}
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("differences of the acks on a clean store:\n%s", lines(got))
				}
				return
			}
			if len(got) != 1 || got[0].Kind != tc.want || stream != "" && got[0].Stream != stream {
				t.Fatalf("want one %s of %s, got:\n%s", tc.want, stream, lines(r.Differences))
			}
		})
	}
}

// lastVersion is a stream's last version in the store.
func lastVersion(t *testing.T, s *verifytest.Store, stream string) int64 {
	t.Helper()
	st, err := s.Events.Load(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return st.Version
}
