package systembench

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// driver runs the closed-loop clients.
type driver struct {
	cfg    *Config
	hc     *http.Client
	rec    *recorder
	fresh  *freshness
	run    string
	issued atomic.Int64 // commands drawn, for -count
	keys   atomic.Int64 // idempotency keys
	events atomic.Int64 // events the accepted commands appended
	first  sample       // the sample taken before the load
}

// drive runs cfg.Clients clients until ctx ends, the duration is over or,
// with a count, that many commands were sent.
func (d *driver) drive(ctx context.Context, deadline time.Time) {
	var wg sync.WaitGroup
	for i := range d.cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.client(ctx, newClient(i, d.run, d.cfg, d.fresh.visible), deadline)
		}()
	}
	wg.Wait()
}

func (d *driver) client(ctx context.Context, c *client, deadline time.Time) {
	buf := make([]byte, 0, 32<<10)
	for ctx.Err() == nil {
		if d.cfg.Count > 0 {
			if d.issued.Load() >= int64(d.cfg.Count) {
				return
			}
		} else if !time.Now().Before(deadline) {
			return
		}
		s := c.next()
		// A command is sent only if it is within the count (reserved here,
		// so the clients together send exactly Count).
		if !s.read && d.issued.Add(1) > int64(d.cfg.Count) && d.cfg.Count > 0 {
			return
		}
		t0 := time.Now()
		status, version, charge, answered := d.send(ctx, &s, &buf)
		now := time.Now()
		if ctx.Err() != nil {
			return
		}
		d.rec.record(&s, status, now.Sub(t0), charge, now)
		if status != s.want || s.apply == nil {
			continue
		}
		d.events.Add(int64(countEvents(buf)))
		s.apply(version)
		c.accepted(s.order, version)
		d.fresh.accepted(s.order.id, version, answered)
	}
}

// send sends one request and reads the answer: its status (0 when there is
// none), the stream version of a command's ETag, its request charge, and
// when its header arrived (the command's acceptance, for freshness). The
// body is left in buf.
func (d *driver) send(ctx context.Context, s *step, buf *[]byte) (status int, version int64, charge float64, answered time.Time) {
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, d.cfg.CommandURL+s.path, body)
	if s.read {
		req, err = http.NewRequestWithContext(ctx, s.method, d.cfg.QueryURL+s.path, nil)
	}
	if err != nil {
		return 0, 0, 0, answered
	}
	if !s.read {
		if s.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Idempotency-Key", d.run+"-"+strconv.FormatInt(d.keys.Add(1), 10))
		if s.ifMatch != "" {
			req.Header.Set("If-Match", s.ifMatch)
		}
	}
	resp, err := d.hc.Do(req)
	answered = time.Now()
	if err != nil {
		return 0, 0, 0, answered
	}
	*buf = (*buf)[:0]
	for {
		n, err := resp.Body.Read((*buf)[len(*buf):cap(*buf)])
		*buf = (*buf)[:len(*buf)+n]
		if err != nil {
			break
		}
		if len(*buf) == cap(*buf) {
			*buf = append(*buf, 0)[:len(*buf)]
		}
	}
	resp.Body.Close()
	version, _ = strconv.ParseInt(strings.Trim(resp.Header.Get("ETag"), `"`), 10, 64)
	charge, _ = strconv.ParseFloat(resp.Header.Get("X-Request-Charge"), 64)
	return resp.StatusCode, version, charge, answered
}

// countEvents counts the events of a command's answer
// ({"orderId","version","eventIds":[...]}).
func countEvents(body []byte) int {
	var doc struct {
		EventIDs []json.RawMessage `json:"eventIds"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return 0
	}
	return len(doc.EventIDs)
}
