package systembench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"orderctx/infra/benchkit"
)

// freshness measures how long an accepted command takes to become visible
// in the query API: the time from the command's answer to the query API
// sending, on GET /live, a view of that order at that version or later. The
// stream is pushed as the query API applies each change, so nothing polls
// and the bench adds no reads to find out.
type freshness struct {
	start time.Time

	mu      sync.Mutex
	pending map[string][]accepted // by order: accepted versions not seen yet
	seen    map[string]accepted   // by order: the highest version seen, and when
	samples []freshSample
	// early counts commands whose view was seen before the bench had noted
	// the command's answer (the client goroutine waited for a core after
	// the answer came); they count as 0.
	early int
	// resets counts streams the query API could not resume (event: reset or
	// close): changes in that gap may never be matched.
	resets int
}

type accepted struct {
	version int64
	at      time.Time
}

// freshSample is one command's freshness, with when it was accepted.
type freshSample struct {
	at time.Duration // since the start
	d  time.Duration
}

func newFreshness(start time.Time) *freshness {
	return &freshness{start: start, pending: map[string][]accepted{}, seen: map[string]accepted{}}
}

// accepted notes a command's answer.
func (f *freshness) accepted(orderID string, version int64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if seen := f.seen[orderID]; seen.version >= version {
		f.early++
		f.samples = append(f.samples, freshSample{at: at.Sub(f.start)})
		return
	}
	f.pending[orderID] = append(f.pending[orderID], accepted{version, at})
}

// observed notes a view the query API sent.
func (f *freshness) observed(orderID string, version int64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if version > f.seen[orderID].version {
		f.seen[orderID] = accepted{version, at}
	}
	p := f.pending[orderID]
	kept := p[:0]
	for _, a := range p {
		if a.version <= version {
			f.samples = append(f.samples, freshSample{at: a.at.Sub(f.start), d: at.Sub(a.at)})
			continue
		}
		kept = append(kept, a)
	}
	if len(kept) == 0 {
		delete(f.pending, orderID)
	} else {
		f.pending[orderID] = kept
	}
}

// visible says whether the query API has shown the order at version or later.
func (f *freshness) visible(orderID string, version int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[orderID].version >= version
}

// outstanding counts accepted commands not seen yet.
func (f *freshness) outstanding() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.pending {
		n += len(p)
	}
	return n
}

// follow reads the query API's /live stream until ctx ends, resuming after
// a dropped connection from the last position it saw. ready is closed once
// the first connection is open.
func (f *freshness) follow(ctx context.Context, hc *http.Client, queryURL string, ready chan<- error) {
	last := ""
	for ctx.Err() == nil {
		err := f.stream(ctx, hc, queryURL, &last, ready)
		ready = nil
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// stream reads one connection of /live; the first failure to connect is
// reported on ready.
func (f *freshness) stream(ctx context.Context, hc *http.Client, queryURL string, last *string, ready chan<- error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, queryURL+"/live", nil)
	if err != nil {
		return err
	}
	if *last != "" {
		req.Header.Set("Last-Event-ID", *last)
	}
	resp, err := hc.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err = fmt.Errorf("GET /live: status %d", resp.StatusCode)
	}
	if ready != nil {
		ready <- err
		close(ready)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	var event string
	var data []byte
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			f.dispatch(event, data, time.Now())
			event, data = "", data[:0]
		case bytes.HasPrefix(line, []byte("id: ")):
			*last = string(line[4:])
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(line[7:])
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[6:]...)
		}
	}
}

// dispatch handles one event of the stream.
func (f *freshness) dispatch(event string, data []byte, at time.Time) {
	switch event {
	case "order":
		var v struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		if json.Unmarshal(data, &v) == nil && strings.HasPrefix(v.ID, "sb-") {
			f.observed(v.ID, v.Version, at)
		}
	case "reset", "close":
		f.mu.Lock()
		f.resets++
		f.mu.Unlock()
	}
}

// recentP99 is the freshness p99 of the commands accepted since since (a
// duration from the start).
func (f *freshness) recentP99(since time.Duration) time.Duration {
	f.mu.Lock()
	var ds []time.Duration
	for i := len(f.samples) - 1; i >= 0 && f.samples[i].at >= since; i-- {
		ds = append(ds, f.samples[i].d)
	}
	f.mu.Unlock()
	return benchkit.Summarize(ds).P99
}
