package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/order"
	"orderctx/functions/verify"
	"orderctx/functions/verify/check"
	"orderctx/functions/verify/systemtest"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosemu"
)

// devProc is an `orderctx dev` process on a data directory, with every
// endpoint on an address of its own.
type devProc struct {
	*systemtest.Proc
	dir, command, query, nats, emulator string
}

// startDev starts `orderctx dev` on dir (snapshots every 3 events, the
// store also served at an emulator endpoint) and waits until both APIs
// answer. Addresses are kept across restarts (pass the previous one).
func startDev(t *testing.T, l *systemtest.Launcher, dir string, prev *devProc) *devProc {
	t.Helper()
	d := prev
	if d == nil {
		d = &devProc{dir: dir, command: systemtest.FreeAddr(t), query: systemtest.FreeAddr(t), nats: systemtest.FreeAddr(t), emulator: systemtest.FreeAddr(t)}
	}
	d.Proc = l.Start(t, "dev", nil, "dev", "-data", dir, "-app", ".", "-addr", d.command, "-query-addr", d.query,
		"-nats-listen", d.nats, "-emulator", "-emulator-addr", d.emulator, "-snapshot-every", "3",
		"-memprofile", filepath.Join(dir, "heap.prof"))
	for _, addr := range []string{d.command, d.query} {
		systemtest.Await(t, systemtest.Ready, "dev to answer at "+addr, func() bool {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
	return d
}

// stop sends SIGINT (Ctrl-C) and fails unless dev exits 0 within 20 s.
func (d *devProc) stop(t *testing.T) {
	t.Helper()
	if err := d.Signal(syscall.SIGINT, 20*time.Second); err != nil {
		t.Fatalf("dev after SIGINT: %v", err)
	}
}

// TestDevEndToEnd runs `orderctx dev` as a user does and takes two orders
// through the command API: one placed, given two more items, paid and
// shipped; one placed, paid and cancelled, with a refund due. Each step is
// then visible everywhere: the query API answers ?minVersion= with the
// final state, the JetStream stream ORDERS holds one message per event (id,
// subject, Stream-Version), the snapshots container holds the shipped
// order's snapshot at its third event (through the emulator endpoint), and
// verify passes against the live system with the acknowledgements. Ctrl-C
// then stops dev with exit status 0.
func TestDevEndToEnd(t *testing.T) {
	l := launcher(t)
	d := startDev(t, l, t.TempDir(), nil)
	acksFile := filepath.Join(t.TempDir(), "acks.jsonl")
	load := systemtest.StartCrashLoad(t, systemtest.LoadConfig{Base: "http://" + d.command, AcksFile: acksFile})
	address := `"shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"}`
	steps := []struct{ path, body string }{
		{"/orders", `{"orderId":"e2e-ship","buyerId":"b-1","currency":"EUR",` + address + `,"items":[{"productId":"p-1","name":"Pen","quantity":2,"unitPrice":150}]}`},
		{"/orders/e2e-ship/items", `{"productId":"p-2","name":"Ink","quantity":1,"unitPrice":500}`},
		{"/orders/e2e-ship/items", `{"productId":"p-3","name":"Pad","quantity":3,"unitPrice":200}`},
		{"/orders/e2e-ship/pay", `{"paymentReference":"pay-1","amount":1400}`},
		{"/orders/e2e-ship/ship", `{"carrier":"Posten","trackingNumber":"T-1"}`},
		{"/orders", `{"orderId":"e2e-cancel","buyerId":"b-2","currency":"EUR",` + address + `,"items":[{"productId":"p-1","name":"Pen","quantity":1,"unitPrice":150}]}`},
		{"/orders/e2e-cancel/pay", `{"paymentReference":"pay-2","amount":150}`},
		{"/orders/e2e-cancel/cancel", `{"reason":"changed my mind"}`},
	}
	var acks []check.Ack
	for i, s := range steps {
		status, ack := load.Send(http.MethodPost, s.path, fmt.Sprintf("e2e-%d", i), "", s.body)
		if status/100 != 2 {
			t.Fatalf("%s: %d %v", s.path, status, load.Stats().Refused)
		}
		acks = append(acks, ack)
	}
	load.Stop()

	ship := queryView(t, d.query, "e2e-ship", 5)
	cancel := queryView(t, d.query, "e2e-cancel", 3)
	if ship.Status != "shipped" || len(ship.Items) != 3 || ship.Total != 1400 || ship.TrackingNumber != "T-1" {
		t.Errorf("shipped order in the query API: %+v", ship)
	}
	if cancel.Status != "cancelled" || cancel.RefundDue == nil || *cancel.RefundDue != 150 {
		t.Errorf("cancelled order in the query API: %+v", cancel)
	}
	awaitMessages(t, "nats://"+d.nats, acks)
	awaitSnapshot(t, "https://"+d.emulator+"/", "e2e-ship", 3)
	out, err := verifyLive(t, d, acksFile)
	if err != nil || !strings.Contains(out, "8 acknowledged commands") {
		t.Fatalf("verify against dev: %v\n%s", err, out)
	}
	d.stop(t)
	if prof, err := os.ReadFile(filepath.Join(d.dir, "heap.prof")); err != nil || len(prof) < 2 || prof[0] != 0x1f || prof[1] != 0x8b {
		t.Errorf("dev -memprofile wrote no gzipped profile at its stop: %d bytes, %v", len(prof), err)
	}
}

// orderView is what the tests read of a view.
type orderView struct {
	Status, TrackingNumber string
	Version, Total         int64
	RefundDue              *int64
	Items                  []struct{ ProductID string }
}

// queryView reads an order from the query API at version v or later.
func queryView(t *testing.T, addr, id string, v int64) orderView {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://%s/orders/%s?minVersion=%d&wait=10s", addr, id, v))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out orderView
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Version < v {
		t.Fatalf("query %s at %d: %d %+v %v", id, v, resp.StatusCode, out, err)
	}
	return out
}

// awaitMessages waits until the ORDERS stream holds a message of every
// acknowledged event, under an order subject and at its stream version, and
// no other.
func awaitMessages(t *testing.T, url string, acks []check.Ack) {
	t.Helper()
	want := map[string]int64{} // event id -> version
	for _, a := range acks {
		for i, id := range a.EventIDs {
			want[id] = a.Version - int64(len(a.EventIDs)-1-i)
		}
	}
	r, err := natsbus.OpenReader(context.Background(), natsbus.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []check.Message
	systemtest.Await(t, 20*time.Second, "a message of every event", func() bool {
		got = got[:0]
		if _, err := r.Messages(context.Background(), func(m check.Message) error { got = append(got, m); return nil }); err != nil {
			t.Fatal(err)
		}
		return len(got) >= len(want)
	})
	for _, m := range got {
		if v, ok := want[m.ID]; !ok || v != m.StreamVersion || !strings.HasPrefix(m.Subject, "orders.v1.") {
			t.Errorf("message %+v: want one of %v", m, want)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d messages, want %d", len(got), len(want))
	}
}

// awaitSnapshot waits until the store at endpoint holds a snapshot of an
// order at version at least v.
func awaitSnapshot(t *testing.T, endpoint, id string, v int64) {
	t.Helper()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Endpoint: endpoint, Key: cosmosemu.EmulatorKey,
		Database: "orderctx", InsecureTLS: true, SkipCreate: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream := order.StreamID(id)
	systemtest.Await(t, 20*time.Second, "a snapshot of "+id, func() bool {
		resp, err := conn.Container(cosmosdb.Snapshots).ReadItem(context.Background(), azcosmos.NewPartitionKeyString(stream), stream, nil)
		if err != nil {
			return false
		}
		var s struct{ Version int64 }
		return json.Unmarshal(resp.Value, &s) == nil && s.Version >= v
	})
}

// verifyLive runs verify against a running dev, through its emulator
// endpoint and broker.
func verifyLive(t *testing.T, d *devProc, acks string) (string, error) {
	t.Helper()
	m := verify.NewMain()
	var out bytes.Buffer
	m.Out, m.Log, m.AcksFile, m.PostgresDSN = &out, slog.New(slog.DiscardHandler), acks, ""
	m.Store = cosmosdb.Config{Endpoint: "https://" + d.emulator + "/", Key: cosmosemu.EmulatorKey, Database: "orderctx", InsecureTLS: true}
	m.NATSURL = "nats://" + d.nats
	err := m.Run(context.Background())
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

// TestDevCtrlCDrains: `orderctx dev` under load (8 clients of the crash
// harness's driver) gets SIGINT, as Ctrl-C sends it. It exits 0; no request
// it had accepted lost its connection without an answer (each was answered,
// or the connection was refused once it stopped listening). Started again on
// the same data directory, it takes the clients' retries (same keys) and
// further commands; after a second Ctrl-C, verify of the data directory
// passes against every acknowledgement: nothing half done, nothing lost,
// no view or message doubled by the consumers' restart.
func TestDevCtrlCDrains(t *testing.T) {
	l := launcher(t)
	dir := t.TempDir()
	d := startDev(t, l, dir, nil)
	acks := filepath.Join(t.TempDir(), "acks.jsonl")
	load := systemtest.StartCrashLoad(t, systemtest.LoadConfig{Base: "http://" + d.command, AcksFile: acks, Clients: 8, Prefix: "drain"})
	progress := func(what string, n int64) {
		t.Helper()
		next := load.Acked() + n
		systemtest.Await(t, time.Minute, what, func() bool { return load.Acked() >= next })
	}
	progress("commands acknowledged before Ctrl-C", 100)
	d.stop(t)
	atStop := load.Stats()
	d = startDev(t, l, dir, d)
	progress("commands acknowledged after the restart", 100)
	stats := load.Stop()
	if atStop.Cut > 0 || stats.Cut > 0 || len(stats.Refused) > 0 {
		t.Fatalf("requests cut at Ctrl-C: %d (%d in all); refused %q; statuses %v", atStop.Cut, stats.Cut, stats.Refused, stats.Statuses)
	}
	awaitQueryVersions(t, "http://"+d.query, readAcks(t, acks))
	d.stop(t)
	m := verify.NewMain()
	var out bytes.Buffer
	m.Out, m.Log, m.AcksFile, m.NATSURL, m.PostgresDSN = &out, slog.New(slog.DiscardHandler), acks, "", ""
	m.Store = cosmosdb.Config{DataDir: dir}
	err := m.Run(context.Background())
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("verify after Ctrl-C: %v\n%s", err, out.String())
	}
	t.Logf("Ctrl-C under load: %d acknowledged before it, %d in all; statuses %v, %d requests refused at connect; %s",
		atStop.Acked, stats.Acked, stats.Statuses, stats.Transport, out.String())
}
