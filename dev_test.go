package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"orderctx/commandapi"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/viewstore"
)

// TestDevFunctionsFollowACommand composes what `orderctx dev` runs in one
// process (the in-memory store, the command API, every change-feed function
// hosted in process by funchost, the embedded NATS broker) with dev's own
// wiring, places an order over HTTP, and waits for its view in the views
// container and its integration event on the broker, as a subscriber would
// receive it.
func TestDevFunctionsFollowACommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	d := newDev()
	d.store.Memory, d.natsListen = true, "127.0.0.1:0"
	log := slog.New(slog.DiscardHandler)
	conn, err := cosmosdb.Open(ctx, d.store, log)
	if err != nil {
		t.Fatal(err)
	}
	d.closers = append(d.closers, conn.Close)
	t.Cleanup(func() { _ = d.Close() })
	host, bus, err := d.functions(ctx, conn, log)
	if err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, bus.URL)
	api, err := commandapi.NewOnConn(conn, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- runComponents(ctx, func(ctx context.Context) error { return api.Serve(ctx, ln) }, host.Run)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("components: %v", err)
		}
	})

	placed := placeOrder(t, "http://"+ln.Addr().String())
	deadline := time.Now().Add(10 * time.Second)
	for {
		views, err := viewstore.New(conn).Get(ctx, []string{placed.OrderID})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := views[placed.OrderID]; ok && v.View.Version == placed.Version && v.View.Status == "submitted" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no view of %s at version %d within 10s: %+v", placed.OrderID, placed.Version, views)
		}
		time.Sleep(5 * time.Millisecond)
	}
	msg, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no integration event: %v", err)
	}
	if msg.Subject != "orders.v1.OrderPlaced" || msg.Header.Get(natsbus.HeaderMsgID) != placed.EventIDs[0] ||
		msg.Header.Get(natsbus.HeaderOrderID) != placed.OrderID || msg.Header.Get(natsbus.HeaderStreamVersion) != "1" {
		t.Fatalf("integration event %s %v", msg.Subject, msg.Header)
	}
}

// subscribe subscribes to every integration event on the broker at url.
func subscribe(t *testing.T, url string) *nats.Subscription {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync("orders.v1.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return sub
}

// placeOrder places order o-1 through the command API at base.
func placeOrder(t *testing.T, base string) commandapi.CommandResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/orders", strings.NewReader(`{"orderId":"o-1","buyerId":"b-1","currency":"EUR",`+
		`"shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},`+
		`"items":[{"productId":"p-1","name":"Pen","quantity":2,"unitPrice":150}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "dev-test-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out commandapi.CommandResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated || len(out.EventIDs) != 1 {
		t.Fatalf("place order: status %d, %+v, %v", resp.StatusCode, out, err)
	}
	return out
}
