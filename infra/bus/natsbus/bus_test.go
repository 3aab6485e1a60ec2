package natsbus_test

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"orderctx/functions/publisher/contracts"
	"orderctx/infra/bus/natsbus"
)

func TestPublishTwiceStoresOnceAndSubscribersSeeEachEventOnceInOrder(t *testing.T) {
	t.Parallel()
	b := open(t, natsbus.Config{DataDir: t.TempDir()})
	msgs := messages(t, orderEvents(t, 30, "o"))
	ctx := ctxT(t)
	first, err := b.PublishResult(ctx, msgs)
	if err != nil || first.Stored != len(msgs) || first.Duplicates != 0 {
		t.Fatalf("first publish: %+v, %v; want %d stored", first, err, len(msgs))
	}
	second, err := b.PublishResult(ctx, msgs)
	if err != nil || second.Stored != 0 || second.Duplicates != len(msgs) {
		t.Fatalf("second publish: %+v, %v; want all %d dropped as duplicates", second, err, len(msgs))
	}

	got := consume(t, b.URL(), b.Stream())
	if len(got) != len(msgs) {
		t.Fatalf("subscriber saw %d messages, want %d", len(got), len(msgs))
	}
	byID := map[string]contracts.Message{}
	for _, m := range msgs {
		byID[m.ID] = m
	}
	seen := map[string]bool{}
	lastVersion := map[string]int64{}
	for _, r := range got {
		h := r.Headers()
		id := h.Get(natsbus.HeaderMsgID)
		m, ok := byID[id]
		if !ok || seen[id] {
			t.Fatalf("message %q unknown or seen twice", id)
		}
		seen[id] = true
		v, _ := strconv.ParseInt(h.Get(natsbus.HeaderStreamVersion), 10, 64)
		if r.Subject() != m.Contract || !bytes.Equal(r.Data(), m.Body) || v != m.StreamVersion ||
			h.Get(natsbus.HeaderOrderID) != m.OrderID || h.Get(natsbus.HeaderCorrelationID) != m.CorrelationID ||
			h.Get(natsbus.HeaderCausationID) != m.CausationID || h.Get(natsbus.HeaderContentType) != "application/json" ||
			h.Get(natsbus.HeaderOccurredAt) != m.OccurredAt.Format(time.RFC3339Nano) {
			t.Fatalf("message %s arrived as subject %s headers %v body %s; published %+v", id, r.Subject(), h, r.Data(), m)
		}
		if v != lastVersion[m.OrderID]+1 {
			t.Fatalf("order %s: version %d after %d", m.OrderID, v, lastVersion[m.OrderID])
		}
		lastVersion[m.OrderID] = v
	}
}

func TestRestartKeepsTheStreamAndDeduplication(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	msgs := messages(t, orderEvents(t, 10, "r"))
	ctx := ctxT(t)

	b, err := natsbus.Open(ctx, natsbus.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := b.PublishResult(ctx, msgs[:30]); err != nil || res.Stored != 30 {
		t.Fatalf("before restart: %+v, %v", res, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b = open(t, natsbus.Config{DataDir: dir})
	if n := streamMsgs(t, b.URL(), b.Stream()); n != 30 {
		t.Fatalf("after restart the stream holds %d messages, want 30", n)
	}
	// The whole batch again, as a change feed re-delivers it after a crash:
	// the 30 stored before the restart are dropped, the rest stored.
	res, err := b.PublishResult(ctx, msgs)
	if err != nil || res.Duplicates != 30 || res.Stored != len(msgs)-30 {
		t.Fatalf("after restart: %+v, %v; want 30 duplicates and %d stored", res, err, len(msgs)-30)
	}
}

func TestExternalServerByURL(t *testing.T) {
	t.Parallel()
	ext, err := natsbus.StartServer(natsbus.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ext.Shutdown)
	// Only NATS_URL set: no embedded server of its own, the external one's stream.
	c := natsbus.FromEnv(func(k string) string {
		if k == "NATS_URL" {
			return ext.ClientURL()
		}
		return ""
	})
	b := open(t, c)
	if b.URL() != ext.ClientURL() {
		t.Fatalf("bus URL %s, want the external %s", b.URL(), ext.ClientURL())
	}
	msgs := messages(t, orderEvents(t, 5, "x"))
	if res, err := b.PublishResult(ctxT(t), msgs); err != nil || res.Stored != len(msgs) {
		t.Fatalf("publish: %+v, %v", res, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Closing the bus leaves the external server running, with the messages.
	if n := streamMsgs(t, ext.ClientURL(), natsbus.DefaultStream); n != uint64(len(msgs)) {
		t.Fatalf("external stream holds %d messages, want %d", n, len(msgs))
	}
	// Opening again finds the stream as it is (idempotent creation).
	again := open(t, c)
	if res, err := again.PublishResult(ctxT(t), msgs); err != nil || res.Duplicates != len(msgs) {
		t.Fatalf("republish after reopen: %+v, %v", res, err)
	}
}

func TestDuplicatesBeyondTheWindowAreStoredAgain(t *testing.T) {
	t.Parallel()
	b := open(t, natsbus.Config{Memory: true, DuplicateWindow: 200 * time.Millisecond})
	msgs := messages(t, orderEvents(t, 1, "w"))[:1]
	ctx := ctxT(t)
	if res, err := b.PublishResult(ctx, msgs); err != nil || res.Stored != 1 {
		t.Fatalf("first: %+v, %v", res, err)
	}
	start := time.Now()
	for {
		res, err := b.PublishResult(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stored == 1 {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the message was still a duplicate 5 s after a 200 ms window")
		}
	}
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Fatalf("stored again after %v, inside the 200 ms window", elapsed)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    natsbus.Config
		want []string
	}{
		{"embedded without storage", natsbus.Config{}, []string{"DataDir is required"}},
		{"external needs no storage", natsbus.Config{URL: "nats://127.0.0.1:4222"}, nil},
		{"memory", natsbus.Config{Memory: true}, nil},
		{"bad listen", natsbus.Config{Memory: true, Listen: "localhost"}, []string{"Listen"}},
		{"port out of range", natsbus.Config{Memory: true, Listen: "127.0.0.1:70000"}, []string{"Listen"}},
		{"subjects miss contracts", natsbus.Config{Memory: true, Subjects: []string{"orders.v1.OrderPlaced", "orders.*.OrderPaid"}},
			[]string{"OrderChanged", "OrderShipped", "OrderCancelled"}},
		{"window longer than retention", natsbus.Config{Memory: true, DuplicateWindow: 2 * time.Hour, MaxAge: time.Hour}, []string{"MaxAge 1h0m0s is shorter"}},
		{"window too short", natsbus.Config{Memory: true, DuplicateWindow: time.Millisecond}, []string{"at least 100ms"}},
		{"everything at once", natsbus.Config{Listen: "x", Stream: "A.B", Replicas: 7},
			[]string{"DataDir", "Listen", "Stream", "Replicas"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.c.Validate()
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("Validate = %v, want nil", err)
			}
			for _, w := range tc.want {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(w)) {
					t.Errorf("Validate = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestAPortInUseFailsAtOnce(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	start := time.Now()
	_, err = natsbus.Open(ctxT(t), natsbus.Config{Memory: true, Listen: taken.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Fatalf("Open on a taken port = %v, want an error naming it", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("failing took %v", d)
	}
}
