package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/functions/verify/systemtest"
)

// TestConcurrentClientsLoseNoUpdate: 32 clients add items to 4 orders at
// once, through two command API processes (each with its own state cache),
// every client adding 10 products of its own. Half the clients send If-Match
// with the newest version any client has seen (stale when another got there
// first: 412); the others send none (a lost race is retried by the command
// API, or answered 409). A client sends a refused add again, under a new
// key, until it is acknowledged. Every answer is a 2xx, a 409 or a 412;
// some are conflicts; every order ends with exactly the products whose adds
// were acknowledged (no update lost, none applied twice), as the query API
// shows at the acknowledged version; and verify passes against the
// acknowledgements.
func TestConcurrentClientsLoseNoUpdate(t *testing.T) {
	const clients, orders, adds = 32, 4, 10
	l := launcher(t)
	sys := systemtest.Start(t, l, systemtest.Config{AppRoot: "."})
	bases := []string{sys.URL(systemtest.CommandAPI), sys.Another(systemtest.CommandAPI)}
	acks := filepath.Join(t.TempDir(), "acks.jsonl")
	load := systemtest.StartCrashLoad(t, systemtest.LoadConfig{Base: bases[0], AcksFile: acks})
	var latest [orders]atomic.Int64
	for o := range orders {
		body := fmt.Sprintf(`{"orderId":"conc-%d","buyerId":"b","currency":"EUR","shippingAddress":{"street":"s","city":"c","postalCode":"1","country":"NO"},`+
			`"items":[{"productId":"p-first","name":"First","quantity":1,"unitPrice":100}]}`, o)
		if status, ack := load.Send(http.MethodPost, "/orders", fmt.Sprintf("conc-%d-place", o), "", body); status != http.StatusCreated {
			t.Fatalf("place conc-%d: %d", o, status)
		} else {
			latest[o].Store(ack.Version)
		}
	}
	var mu sync.Mutex
	added := map[string][]string{} // order -> products acknowledged
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			o := c % orders
			for k := range adds {
				product := fmt.Sprintf("p-%02d-%02d", c, k)
				body := fmt.Sprintf(`{"productId":%q,"name":"Item","quantity":1,"unitPrice":10}`, product)
				for attempt := 0; ; attempt++ {
					ifMatch := ""
					if c%2 == 0 {
						ifMatch = fmt.Sprintf(`"%d"`, latest[o].Load())
					}
					status, ack := load.SendVia(bases[(c+attempt)%2], http.MethodPost, fmt.Sprintf("/orders/conc-%d/items", o),
						fmt.Sprintf("conc-%s-%d", product, attempt), ifMatch, body)
					if status/100 == 2 {
						for v := latest[o].Load(); v < ack.Version && !latest[o].CompareAndSwap(v, ack.Version); v = latest[o].Load() {
						}
						mu.Lock()
						added[ack.OrderID] = append(added[ack.OrderID], product)
						mu.Unlock()
						break
					}
					if status != http.StatusConflict && status != http.StatusPreconditionFailed {
						return // refused: counted by the driver
					}
				}
			}
		})
	}
	wg.Wait()
	stats := load.Stop()
	for status, n := range stats.Statuses {
		if status/100 != 2 && status != http.StatusConflict && status != http.StatusPreconditionFailed {
			t.Errorf("the command API answered %d %d times", status, n)
		}
	}
	if len(stats.Refused) > 0 || stats.Conflicts == 0 {
		t.Fatalf("refused: %q; %d conflicts (want some); statuses %v", stats.Refused, stats.Conflicts, stats.Statuses)
	}
	for o := range orders {
		id := fmt.Sprintf("conc-%d", o)
		want := append([]string{"p-first"}, added[id]...)
		slices.Sort(want)
		if got := viewProducts(t, sys.URL(systemtest.QueryAPI), id, latest[o].Load()); !slices.Equal(got, want) {
			t.Errorf("order %s holds %d products %v, want the %d acknowledged %v", id, len(got), got, len(want), want)
		}
	}
	out := sys.AwaitVerified(acks, 30*time.Second)
	t.Logf("%d clients on %d orders: %d adds acknowledged, statuses %v; %s", clients, orders, stats.Acked-orders, stats.Statuses, out)
}

// viewProducts reads an order's products from the query API at version v.
func viewProducts(t *testing.T, base, id string, v int64) []string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/orders/%s?minVersion=%d&wait=10s", base, id, v))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var view struct {
		Version int64
		Items   []struct{ ProductID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("query %s at %d: %d %v", id, v, resp.StatusCode, err)
	}
	var out []string
	for _, it := range view.Items {
		out = append(out, it.ProductID)
	}
	slices.Sort(out)
	return out
}
