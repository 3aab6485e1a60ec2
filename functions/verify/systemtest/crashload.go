package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/functions/verify/check"
)

// CrashLoad is the crash harness's load driver: clients that run orders
// through their lives on the command API (place, add items, pay, then ship
// or cancel with a refund due) while components are killed and faults
// injected. Every command carries an Idempotency-Key and is sent again,
// with that key, until it is answered 2xx or refused (4xx), so a crash
// never leaves its outcome unknown. Each 2xx answer is appended to the
// acks file as it arrives (one check.Ack per line), which `orderctx verify
// -acks` checks against the store. Every status seen is counted.
type CrashLoad struct {
	base    string
	acks    *os.File
	client  *http.Client
	giveUp  time.Duration
	stop    chan struct{}
	wg      sync.WaitGroup
	acked   atomic.Int64
	mu      sync.Mutex
	stats   LoadStats
	ackedMu sync.Mutex
}

// LoadStats is what the driver saw.
type LoadStats struct {
	Acked    int64       // commands answered 2xx (each once, however often it was sent)
	Orders   int64       // orders placed
	Statuses map[int]int // every answer, retries included
	// Transport counts requests without an answer (connection refused or
	// reset: the command API was down or killed mid-request).
	Transport int
	// Cut counts the requests among them that were sent and then lost
	// their connection (not refused at connect): a server that stops
	// gracefully cuts none.
	Cut int
	// RetryAfter503 and Bare503 split the 503 answers by whether they
	// carried Retry-After.
	RetryAfter503, Bare503 int
	// Refused lists 4xx answers other than expected conflicts, and commands
	// given up after the retry budget: each is a failure of a run that
	// expects none.
	Refused []string
	// Conflicts counts 409 and 412 answers.
	Conflicts int
	// Replayed counts 2xx answers with Idempotent-Replayed: true: a resent
	// command the store already held.
	Replayed int
}

// LoadConfig shapes a CrashLoad.
type LoadConfig struct {
	// Base is the command API's URL.
	Base string
	// AcksFile receives the acknowledgements (created, truncated).
	AcksFile string
	// Clients run order lives concurrently (0: none; Send only).
	Clients int
	// Prefix makes the order ids of a run unique.
	Prefix string
	// GiveUp bounds the resending of one command (default 30 s).
	GiveUp time.Duration
}

// StartCrashLoad starts the clients; Stop ends them.
func StartCrashLoad(tb testing.TB, cfg LoadConfig) *CrashLoad {
	tb.Helper()
	f, err := os.Create(cfg.AcksFile)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	if cfg.GiveUp == 0 {
		cfg.GiveUp = 30 * time.Second
	}
	l := &CrashLoad{base: cfg.Base, acks: f, giveUp: cfg.GiveUp, stop: make(chan struct{}),
		client: &http.Client{Timeout: 20 * time.Second}, stats: LoadStats{Statuses: map[int]int{}}}
	for w := range cfg.Clients {
		l.wg.Add(1)
		go l.runClient(fmt.Sprintf("%s-w%d", cfg.Prefix, w))
	}
	return l
}

// Acked is how many commands have been acknowledged so far.
func (l *CrashLoad) Acked() int64 { return l.acked.Load() }

// Stop lets every client finish the command it is sending and returns
// what the driver saw.
func (l *CrashLoad) Stop() LoadStats {
	close(l.stop)
	l.wg.Wait()
	return l.Stats()
}

// Stats is a copy of what the driver saw so far.
func (l *CrashLoad) Stats() LoadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Acked = l.acked.Load()
	s.Statuses = make(map[int]int, len(l.stats.Statuses))
	for k, v := range l.stats.Statuses {
		s.Statuses[k] = v
	}
	s.Refused = append([]string(nil), l.stats.Refused...)
	return s
}

func (l *CrashLoad) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// runClient runs order lives, one after the other, until Stop.
func (l *CrashLoad) runClient(name string) {
	defer l.wg.Done()
	for n := 0; !l.stopped(); n++ {
		l.life(fmt.Sprintf("%s-%d", name, n), n)
	}
}

// life runs one order's life; it ends early when a command is refused or
// the driver stops.
func (l *CrashLoad) life(id string, n int) {
	items := 1 + n%3
	steps := []struct{ path, body string }{{"/orders", fmt.Sprintf(`{"orderId":%q,"buyerId":"b-%d","currency":"EUR",`+
		`"shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},`+
		`"items":[{"productId":"p-0","name":"Pen","quantity":2,"unitPrice":150}]}`, id, n%7)}}
	total := 300
	for i := 1; i < items; i++ {
		total += i * (100*i + 25)
		steps = append(steps, struct{ path, body string }{"/orders/" + id + "/items",
			fmt.Sprintf(`{"productId":"p-%d","name":"Item %d","quantity":%d,"unitPrice":%d}`, i, i, i, 100*i+25)})
	}
	steps = append(steps, struct{ path, body string }{"/orders/" + id + "/pay", fmt.Sprintf(`{"paymentReference":"pay-%s","amount":%d}`, id, total)})
	if n%5 == 4 {
		steps = append(steps, struct{ path, body string }{"/orders/" + id + "/cancel", `{"reason":"changed my mind"}`})
	} else {
		steps = append(steps, struct{ path, body string }{"/orders/" + id + "/ship", `{"carrier":"Posten","trackingNumber":"T-` + id + `"}`})
	}
	for i, s := range steps {
		if i > 0 && l.stopped() {
			return
		}
		if status, _ := l.Send(http.MethodPost, s.path, fmt.Sprintf("%s-%d", id, i), "", s.body); status/100 != 2 {
			return
		}
		if i == 0 {
			l.mu.Lock()
			l.stats.Orders++
			l.mu.Unlock()
		}
	}
}

// Send sends one command with an Idempotency-Key (and If-Match, when set)
// until it is answered 2xx or 4xx, or GiveUp passes, and returns the last
// status (0: no answer) and, for a 2xx, the answer. A 2xx is recorded as an
// acknowledgement; a 4xx other than 409 and 412 as refused.
func (l *CrashLoad) Send(method, path, key, ifMatch, body string) (int, check.Ack) {
	return l.SendVia(l.base, method, path, key, ifMatch, body)
}

// SendVia is Send to the command API at base (another instance).
func (l *CrashLoad) SendVia(base, method, path, key, ifMatch, body string) (int, check.Ack) {
	deadline := time.Now().Add(l.giveUp)
	pause := 10 * time.Millisecond
	for {
		status, retryAfter, ack, problem := l.once(base+path, method, key, ifMatch, body)
		switch {
		case status/100 == 2:
			l.ack(ack)
			return status, ack
		case status == http.StatusConflict || status == http.StatusPreconditionFailed:
			return status, ack
		case status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
			l.refused(fmt.Sprintf("%s %s (key %s): %d %s", method, path, key, status, problem))
			return status, ack
		case time.Now().After(deadline):
			l.refused(fmt.Sprintf("%s %s (key %s): no 2xx within %v; last %d %s", method, path, key, l.giveUp, status, problem))
			return status, ack
		}
		// Retry sooner than a Retry-After of seconds asks, to keep bounded
		// runs short; the command API answers again when the store is back.
		wait := min(max(retryAfter, pause), 250*time.Millisecond)
		time.Sleep(wait)
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// once sends a request once and counts its answer.
func (l *CrashLoad) once(url, method, key, ifMatch, body string) (status int, retryAfter time.Duration, ack check.Ack, problem string) {
	req, err := http.NewRequestWithContext(context.Background(), method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		var op *net.OpError
		refused := errors.As(err, &op) && op.Op == "dial"
		l.mu.Lock()
		l.stats.Transport++
		if !refused {
			l.stats.Cut++
		}
		l.mu.Unlock()
		return 0, 0, ack, err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	l.count(resp)
	if err != nil {
		return 0, 0, ack, err.Error() // the body cut off: the answer is unknown
	}
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, &ack); err != nil {
			return 0, 0, ack, fmt.Sprintf("undecodable answer %q: %v", raw, err)
		}
		ack.CommandID = key
		return resp.StatusCode, 0, ack, ""
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		retryAfter = time.Duration(s) * time.Second
	}
	return resp.StatusCode, retryAfter, ack, string(raw)
}

// count notes an answer's status.
func (l *CrashLoad) count(resp *http.Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Statuses[resp.StatusCode]++
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		l.stats.RetryAfter503++
	case resp.StatusCode == http.StatusServiceUnavailable:
		l.stats.Bare503++
	case resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusPreconditionFailed:
		l.stats.Conflicts++
	case resp.StatusCode/100 == 2 && resp.Header.Get("Idempotent-Replayed") == "true":
		l.stats.Replayed++
	}
}

// ack appends an acknowledgement to the acks file, a whole line per write.
func (l *CrashLoad) ack(a check.Ack) {
	line, _ := json.Marshal(a)
	l.ackedMu.Lock()
	defer l.ackedMu.Unlock()
	if _, err := l.acks.Write(append(line, '\n')); err != nil {
		l.refused("acks file: " + err.Error())
	}
	l.acked.Add(1)
}

func (l *CrashLoad) refused(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Refused = append(l.stats.Refused, what)
}
