package audit_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"orderctx/queryapi/audit"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ref(stream string, version int64, sec int) audit.Ref {
	return audit.Ref{StreamID: stream, Version: version, OccurredAt: t0.Add(time.Duration(sec) * time.Second)}
}

func names(refs []audit.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = fmt.Sprintf("%s@%d", r.StreamID, r.Version)
	}
	return out
}

func TestPagesInBothDirections(t *testing.T) {
	t.Parallel()
	x := audit.New(audit.Options{})
	// Out of order, with a tie in time broken by stream id, and a duplicate.
	x.Add([]audit.Ref{ref("order-b", 1, 1), ref("order-a", 1, 1), ref("order-a", 2, 3), ref("order-b", 2, 2)})
	x.Add([]audit.Ref{ref("order-a", 2, 3)})
	all := []string{"order-a@1", "order-b@1", "order-b@2", "order-a@2"}
	if n, _ := x.Len(); n != 4 {
		t.Fatalf("%d events indexed", n)
	}
	var got []string
	var from *audit.Position
	for {
		page, more := x.Page(from, true, 3)
		got = append(got, names(page)...)
		if !more {
			break
		}
		p := audit.PositionOf(page[len(page)-1])
		from = &p
	}
	if !slices.Equal(got, all) {
		t.Fatalf("forward %v, want %v", got, all)
	}
	newest, more := x.Page(nil, false, 2)
	if !slices.Equal(names(newest), []string{"order-a@2", "order-b@2"}) || !more {
		t.Fatalf("newest first %v (more %v)", names(newest), more)
	}
	p := audit.PositionOf(newest[1])
	older, more := x.Page(&p, false, 5)
	if !slices.Equal(names(older), []string{"order-b@1", "order-a@1"}) || more {
		t.Fatalf("older %v (more %v)", names(older), more)
	}
	// A position of an event this index never saw still places the page.
	unseen := audit.PositionOf(ref("order-0", 1, 2))
	after, _ := x.Page(&unseen, true, 5)
	if !slices.Equal(names(after), []string{"order-b@2", "order-a@2"}) {
		t.Fatalf("after an unseen position %v", names(after))
	}
}

func TestBoundDropsTheOldest(t *testing.T) {
	t.Parallel()
	x := audit.New(audit.Options{MaxEvents: 3})
	for i := 1; i <= 5; i++ {
		x.Add([]audit.Ref{ref("order-a", int64(i), i)})
	}
	n, dropped := x.Len()
	page, _ := x.Page(nil, true, 10)
	if n != 3 || dropped != 2 || !slices.Equal(names(page), []string{"order-a@3", "order-a@4", "order-a@5"}) {
		t.Fatalf("%d kept, %d dropped: %v", n, dropped, names(page))
	}
}

func TestPositionRoundTrip(t *testing.T) {
	t.Parallel()
	p := audit.PositionOf(ref("order-x|y", 7, 9))
	got, err := audit.ParsePosition(p.String())
	if err != nil || got != p {
		t.Fatalf("round trip %v, %v; want %v", got, err, p)
	}
	for _, bad := range []string{"", "!!", "MTIz", "MXx4fHM", "MXwwfHM", "MXwyfA"} {
		if _, err := audit.ParsePosition(bad); err == nil {
			t.Errorf("ParsePosition(%q) succeeded", bad)
		}
	}
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	r, err := audit.ParseEvent([]byte(`{"id":"order-a:2","streamId":"order-a","version":2,"type":"order.paid","data":{"x":[1]},"occurredAt":"2026-03-01T12:00:01.5Z","_ts":1}`))
	if err != nil || r.StreamID != "order-a" || r.Version != 2 || !r.OccurredAt.Equal(t0.Add(1500*time.Millisecond)) {
		t.Fatalf("parsed %+v, %v", r, err)
	}
	for _, bad := range []string{`{"streamId":"a","version":1}`, `{"streamId":"a","occurredAt":"2026-03-01T12:00:00Z"}`, `{"version":"1"}`, `[]`} {
		if _, err := audit.ParseEvent([]byte(bad)); err == nil {
			t.Errorf("ParseEvent(%s) succeeded", bad)
		}
	}
}
