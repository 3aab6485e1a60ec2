package commandbench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"orderctx/infra/benchkit"
)

// Load is what one load scenario measured on the client side.
type Load struct {
	// Requests counts the answers with the expected status; Errors every
	// other answer or failure.
	Requests, Errors int
	Seconds          float64
	P50, P99         time.Duration
	// Charge is the sum of the commands' X-Request-Charge headers.
	Charge float64
}

// Rate is accepted requests per second.
func (l Load) Rate() float64 { return float64(l.Requests) / max(l.Seconds, 1e-9) }

// step is one request of a client's script.
type step struct {
	method, path, body string
	want               int
}

// lifecycle returns the four commands of one order's life: place with one
// line, add a second line, pay the total, ship. Every command carries an
// Idempotency-Key, as a careful client sends.
func lifecycle(orderID string) []step {
	return []step{
		{http.MethodPost, "/orders", `{"orderId":"` + orderID + `","buyerId":"b-1","currency":"EUR",` +
			`"shippingAddress":{"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE"},` +
			`"items":[{"productId":"p-1","name":"Coffee","quantity":2,"unitPrice":450,"discount":100}]}`, http.StatusCreated},
		{http.MethodPost, "/orders/" + orderID + "/items", `{"productId":"p-2","name":"Tea","quantity":1,"unitPrice":300}`, http.StatusOK},
		{http.MethodPost, "/orders/" + orderID + "/pay", `{"paymentReference":"psp-1","amount":1100}`, http.StatusOK},
		{http.MethodPost, "/orders/" + orderID + "/ship", `{"carrier":"DHL","trackingNumber":"t-1"}`, http.StatusOK},
	}
}

// runLoad runs clients closed-loop for d: each client sends the steps that
// next returns, one after the other, and asks for more when they are done.
func runLoad(ctx context.Context, base string, clients int, d time.Duration, next func(client, n int) []step) Load {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	lat := make([][]time.Duration, clients)
	var errs atomic.Int64
	var chargeMu sync.Mutex
	charge := 0.0
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			local := 0.0
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				for i, s := range next(c, n) {
					t0 := time.Now()
					ch, err := send(ctx, hc, base, s, fmt.Sprintf("k-%d-%d-%d", c, n, i), buf)
					if err != nil {
						errs.Add(1)
						break
					}
					lat[c] = append(lat[c], time.Since(t0))
					local += ch
				}
			}
			chargeMu.Lock()
			charge += local
			chargeMu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sum := benchkit.Summarize(all)
	return Load{Requests: sum.Count, Errors: int(errs.Load()), Seconds: elapsed.Seconds(), P50: sum.P50, P99: sum.P99, Charge: charge}
}

// send runs one step and returns the command's request charge; an
// unexpected status is an error.
func send(ctx context.Context, hc *http.Client, base string, s step, key string, buf []byte) (float64, error) {
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, base+s.path, body)
	if err != nil {
		return 0, err
	}
	if s.body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
	if resp.StatusCode != s.want {
		return 0, fmt.Errorf("%s %s: status %d", s.method, s.path, resp.StatusCode)
	}
	charge, _ := strconv.ParseFloat(resp.Header.Get("X-Request-Charge"), 64)
	return charge, nil
}
