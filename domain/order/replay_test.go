package order_test

import (
	"reflect"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestReplayContinuesLoad(t *testing.T) {
	t.Parallel()
	events := history(placed(item("p-1", 1, 100, 0)), added("p-2", 2, 50, 10), removed("p-1"), paid(90))
	whole, err := order.Load(oid, events)
	if err != nil {
		t.Fatal(err)
	}
	step := given(t, events[0].Payload)
	for _, e := range events[1:] {
		if err := step.Replay(e); err != nil {
			t.Fatalf("replay v%d: %v", e.Version, err)
		}
	}
	if !reflect.DeepEqual(step.State(), whole.State()) || step.Version() != whole.Version() || step.CommittedVersion() != 4 {
		t.Fatalf("replayed step by step:\n got %+v (v%d)\nwant %+v (v%d)", step.State(), step.Version(), whole.State(), whole.Version())
	}
}

func TestReplayRefusesWhatLoadRefuses(t *testing.T) {
	t.Parallel()
	events := history(placed(), added("p-1", 1, 100, 0), removed("p-2"))
	tests := []struct {
		name  string
		event es.Envelope
	}{
		{"version already applied", events[0]},
		{"version gap", events[2]},
		{"payload that cannot apply", func() es.Envelope { e := events[2]; e.Version = 2; return e }()},
		{"other stream", func() es.Envelope { e := events[1]; e.StreamID = order.StreamID("o-2"); return e }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := given(t, placed())
			err := o.Replay(tc.event)
			if rule := es.ErrorRule(err); es.ErrorCode(err) != es.Internal || rule != es.RuleCorruptHistory && rule != order.RuleCorruptHistory {
				t.Fatalf("err = %v, want an internal corrupt-history error", err)
			}
		})
	}
}
