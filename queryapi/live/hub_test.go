package live_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"orderctx/queryapi/live"
)

func changes(from, to uint64) []live.Change {
	var out []live.Change
	for s := from; s <= to; s++ {
		out = append(out, live.Change{Seq: s, Data: []byte(strconv.FormatUint(s, 10))})
	}
	return out
}

func seqs(cs []live.Change) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.Seq
	}
	return out
}

func receive(t *testing.T, s *live.Subscription, n int) []uint64 {
	t.Helper()
	var out []uint64
	for i := 0; i < n; i++ {
		select {
		case c := <-s.C:
			out = append(out, c.Seq)
		default:
			t.Fatalf("only %d of %d changes waiting", i, n)
		}
	}
	return out
}

func TestSubscribeFromNowThenResume(t *testing.T) {
	t.Parallel()
	h := live.New(live.Options{RingSize: 8})
	h.Publish(changes(1, 3))
	s, err := h.Subscribe("")
	if err != nil {
		t.Fatal(err)
	}
	if s.Head != h.ID(3) || len(s.Replay) != 0 || s.Reset != "" {
		t.Fatalf("new subscription: head %s, replay %v, reset %q", s.Head, seqs(s.Replay), s.Reset)
	}
	h.Publish(changes(4, 5))
	if got := receive(t, s, 2); got[0] != 4 || got[1] != 5 {
		t.Fatalf("received %v", got)
	}
	h.Unsubscribe(s)
	h.Publish(changes(6, 9))
	r, err := h.Subscribe(h.ID(5))
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(r.Replay); len(got) != 4 || got[0] != 6 || got[3] != 9 || r.Reset != "" {
		t.Fatalf("resumed after 5: replay %v, reset %q", got, r.Reset)
	}
}

func TestResumeRefusals(t *testing.T) {
	t.Parallel()
	h := live.New(live.Options{RingSize: 4})
	h.Publish(changes(1, 10)) // the ring keeps 7..10
	other := live.New(live.Options{})
	for name, tc := range map[string]struct {
		id     string
		reason string
	}{
		"oldest kept minus one": {h.ID(6), ""},
		"too old":               {h.ID(5), "older than the 4 changes"},
		"other instance":        {other.ID(6), "another server instance"},
		"ahead":                 {h.ID(11), "ahead of"},
		"garbage":               {"nonsense", "not one this server issued"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := h.Subscribe(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Unsubscribe(s)
			if !strings.Contains(s.Reset, tc.reason) || (tc.reason == "") != (s.Reset == "") {
				t.Fatalf("reset %q, want one containing %q", s.Reset, tc.reason)
			}
			if tc.reason == "" && len(s.Replay) != 4 {
				t.Fatalf("replayed %v", seqs(s.Replay))
			}
			if s.Head != h.ID(10) {
				t.Fatalf("head %s", s.Head)
			}
		})
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	t.Parallel()
	h := live.New(live.Options{Buffer: 2})
	slow, _ := h.Subscribe("")
	fast, _ := h.Subscribe("")
	h.Publish(changes(1, 2))
	receive(t, fast, 2)
	h.Publish(changes(3, 3))
	select {
	case <-slow.Dropped:
	default:
		t.Fatal("a subscriber with a full buffer was kept")
	}
	if !strings.Contains(slow.Reason(), "did not keep up") {
		t.Fatalf("reason %q", slow.Reason())
	}
	if got := receive(t, fast, 1); got[0] != 3 || h.Subscribers() != 1 {
		t.Fatalf("fast subscriber got %v; %d subscribers", got, h.Subscribers())
	}
}

func TestSubscriberBound(t *testing.T) {
	t.Parallel()
	h := live.New(live.Options{MaxSubscribers: 2})
	a, _ := h.Subscribe("")
	if _, err := h.Subscribe(""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Subscribe(""); !errors.Is(err, live.ErrTooManySubscribers) {
		t.Fatalf("third subscriber: %v", err)
	}
	h.Unsubscribe(a)
	if _, err := h.Subscribe(""); err != nil {
		t.Fatalf("after one left: %v", err)
	}
	h.Close("bye")
	if h.Subscribers() != 0 {
		t.Fatal("Close kept subscribers")
	}
}
