package systembench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"orderctx/infra/benchkit"
)

// functionStats is what the bench reads of one function in funchost's GET
// /debug/stats: the client's view of funchost.FunctionStats, the fields it
// uses only.
type functionStats struct {
	Processed     int64   `json:"processed"`
	LagEvents     int64   `json:"lagEvents"`
	LagSeconds    float64 `json:"lagSeconds"`
	Parked        int64   `json:"parked"`
	RequestCharge float64 `json:"requestCharge"`
}

// sample is the system's state at one moment.
type sample struct {
	at        time.Duration // since the start
	functions map[string]functionStats
	// serverCPU is the server processes' CPU so far (zero without PIDs),
	// byPID each one's, selfCPU this process's.
	serverCPU, selfCPU time.Duration
	byPID              map[int]time.Duration
	// events counts the events the bench's accepted commands appended so far.
	events int64
}

// sampler reads the consumers' statistics and the processes' CPU.
type sampler struct {
	hc       *http.Client
	statsURL string
	pids     []int
	start    time.Time
	events   func() int64
}

// take reads a sample now; a failed statistics read leaves functions nil.
func (s *sampler) take(ctx context.Context) sample {
	out := sample{at: time.Since(s.start), selfCPU: benchkit.SelfCPU(), events: s.events()}
	out.byPID = make(map[int]time.Duration, len(s.pids))
	for _, pid := range s.pids {
		if cpu, err := benchkit.ProcessCPU(pid); err == nil {
			out.serverCPU += cpu
			out.byPID[pid] = cpu
		}
	}
	if s.statsURL == "" {
		return out
	}
	var doc struct {
		Functions map[string]functionStats `json:"functions"`
	}
	if err := s.getJSON(ctx, s.statsURL+"/debug/stats", &doc); err == nil {
		out.functions = doc.Functions
	}
	return out
}

func (s *sampler) getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// loop takes a sample every second until ctx ends, handing each to seen.
func (s *sampler) loop(ctx context.Context, seen func(sample)) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			seen(s.take(ctx))
		}
	}
}
