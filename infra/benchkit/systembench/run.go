// Package systembench measures the whole running system over HTTP, as its
// users reach it: closed-loop clients send a mix of commands to the command
// API (order lifecycles, plus a share of stale If-Match, repeated places and
// invalid commands that must be refused) and reads to the query API (by id,
// with minVersion after their own commands, listings), while the bench
// follows the query API's /live stream to time each accepted command until
// its view is visible (freshness), samples funchost's GET /debug/stats for
// the consumers' lag and rate, and reads the server processes' CPU from
// /proc. It reports a table, JSON and an SVG chart (`orderctx bench`,
// docs/benchmarks.md). It speaks only HTTP: the shapes it reads are its own
// (a client's view of the APIs), so it depends on no package of the system.
package systembench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"orderctx/infra/benchkit"
)

// Config sets what a run drives and for how long; zero fields take the
// defaults.
type Config struct {
	// CommandURL and QueryURL are the APIs (http://127.0.0.1:8080 and
	// :8090); StatsURL is funchost's statistics (http://127.0.0.1:8070;
	// empty: no consumer figures).
	CommandURL, QueryURL, StatsURL string
	Clients                        int           // concurrent closed-loop clients (16)
	Duration                       time.Duration // of the load (30 s), unless Count is set
	Count                          int           // commands to send; 0: run for Duration
	// ReadShare is the share of requests that are reads (0.5);
	// ConflictShare the share of commands sent to be refused with 412 or
	// 409 (0.04); InvalidShare those sent to be refused with 400 (0.02).
	ReadShare, ConflictShare, InvalidShare float64
	// ReferenceShare is the share of reads sent to the query API's
	// /healthz (0.05): a request that does nothing through the same server,
	// middleware and cores, whose latency in the same run is the floor a
	// read by id is measured against.
	ReferenceShare float64
	// Drain bounds the wait after the load for the last commands' views on
	// /live and for every function to process their events (5 s).
	Drain time.Duration
	// PIDs are more of the system's processes, for their CPU, besides those
	// found listening on the URLs' ports of this machine (a store in a
	// process of its own). InProcess says the system runs in the bench's
	// process (its CPU is then not apart).
	PIDs      []int
	InProcess bool
	Seed      uint64
	// Progress, when set, is updated every second.
	Progress *benchkit.Progress
}

func (c *Config) defaults() {
	if c.Clients == 0 {
		c.Clients = 16
	}
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Drain == 0 {
		c.Drain = 5 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	for name, u := range map[string]string{"command URL": c.CommandURL, "query URL": c.QueryURL} {
		if p, err := url.Parse(u); err != nil || p.Scheme != "http" || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q: want http://host:port", name, u))
		}
	}
	if c.Clients < 1 || c.Clients > 1024 {
		errs = append(errs, fmt.Errorf("clients %d: want 1 to 1024", c.Clients))
	}
	if c.Count < 0 || c.Duration < 0 {
		errs = append(errs, errors.New("count and duration must not be negative"))
	}
	for name, share := range map[string]float64{"read share": c.ReadShare, "conflict share": c.ConflictShare,
		"invalid share": c.InvalidShare, "reference share": c.ReferenceShare} {
		if share < 0 || share > 1 {
			errs = append(errs, fmt.Errorf("%s %v: want 0 to 1", name, share))
		}
	}
	if c.ConflictShare+c.InvalidShare > 0.5 {
		errs = append(errs, errors.New("conflict and invalid shares together above 0.5: too few commands would move orders on"))
	}
	return errors.Join(errs...)
}

// Run drives the system and reports what it measured. It fails when the
// system is not there, or answered some request with a status the mix did
// not ask for (the report is returned all the same).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients + 4, DisableCompression: true}, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	if err := waitReady(ctx, hc, cfg); err != nil {
		return nil, err
	}
	pids, err := systemPIDs(cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{StartedAt: time.Now().UTC(), Machine: benchkit.ThisMachine()}
	start := time.Now()
	fresh, stopLive, err := followLive(ctx, cfg.QueryURL, start)
	if err != nil {
		return nil, err
	}
	defer stopLive()
	d := &driver{cfg: &cfg, hc: hc, rec: newRecorder(start), fresh: fresh, run: strconv.FormatInt(start.UnixNano(), 36)}
	smp := &sampler{hc: hc, statsURL: cfg.StatsURL, pids: pids, start: start, events: d.events.Load}
	d.first = smp.take(ctx)
	stopSampling := sampleEverySecond(ctx, smp, d, start)
	d.drive(ctx, start.Add(cfg.Duration))
	loadEnd := time.Since(start)
	// The work the load caused ends when its last view is visible and every
	// function has processed its events: the consumers' counts and the CPU
	// are read then.
	drainEnd := time.Now().Add(cfg.Drain)
	waitVisible(ctx, fresh, drainEnd)
	final := waitProcessed(ctx, smp, d.first, drainEnd)
	samples := append([]sample{d.first}, stopSampling()...)
	if cfg.Progress != nil {
		cfg.Progress.Done()
	}
	stopLive()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rep.build(&cfg, pids, d.rec, fresh, samples, loadEnd, final)
	if n := len(rep.Unexpected); n > 0 {
		return rep, fmt.Errorf("the system answered %d kinds of request with a status the mix did not ask for: %v", n, rep.Unexpected)
	}
	return rep, nil
}

// followLive follows the query API's /live stream for freshness until the
// returned stop is called; it fails when the first connection does.
func followLive(ctx context.Context, queryURL string, start time.Time) (*freshness, func(), error) {
	fresh := newFreshness(start)
	live := &http.Client{Transport: &http.Transport{DisableCompression: true}} // no timeout: the stream lasts
	ctx, stop := context.WithCancel(ctx)
	ready := make(chan error, 1)
	go fresh.follow(ctx, live, queryURL, ready)
	if err := <-ready; err != nil {
		stop()
		return nil, nil, fmt.Errorf("the query API's /live stream: %w", err)
	}
	return fresh, stop, nil
}

// sampleEverySecond samples the system every second, showing the progress,
// until the returned function is called; that returns the samples.
func sampleEverySecond(ctx context.Context, smp *sampler, d *driver, start time.Time) func() []sample {
	var samples []sample
	ctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		smp.loop(ctx, func(s sample) {
			samples = append(samples, s)
			d.progress(s, start)
		})
	}()
	return func() []sample {
		stop()
		<-done
		return samples
	}
}

// waitReady waits up to 30 s for the command API's /healthz and the query
// API's /readyz.
func waitReady(ctx context.Context, hc *http.Client, cfg Config) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, u := range []string{cfg.CommandURL + "/healthz", cfg.QueryURL + "/readyz"} {
		for {
			resp, err := hc.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not answer 200 within 30 s (is the system running? `orderctx dev`)", u)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// systemPIDs are the processes whose CPU the report counts: those
// listening on the URLs' ports of this machine and the configured ones
// (a store in a process of its own has no URL here); none in process.
func systemPIDs(cfg Config) ([]int, error) {
	if cfg.InProcess {
		return nil, nil
	}
	var ports []int
	for _, u := range []string{cfg.CommandURL, cfg.QueryURL, cfg.StatsURL} {
		if p, err := url.Parse(u); err == nil {
			if n, err := strconv.Atoi(p.Port()); err == nil {
				ports = append(ports, n)
			}
		}
	}
	byPort, err := benchkit.ListeningPIDs(ports)
	if err != nil {
		return nil, err
	}
	var pids []int
	seen := map[int]bool{}
	add := func(pid int) {
		if !seen[pid] {
			seen[pid] = true
			pids = append(pids, pid)
		}
	}
	for _, port := range ports {
		if pid, ok := byPort[port]; ok {
			add(pid)
		}
	}
	for _, pid := range cfg.PIDs {
		add(pid)
	}
	return pids, nil
}

// waitVisible waits until every accepted command was seen on /live, at most
// until deadline.
func waitVisible(ctx context.Context, f *freshness, deadline time.Time) {
	for f.outstanding() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

// waitProcessed samples until no function has a backlog (or deadline) and
// returns the last sample.
func waitProcessed(ctx context.Context, smp *sampler, first sample, deadline time.Time) sample {
	for {
		s := smp.take(ctx)
		behind := false
		for name := range s.functions {
			behind = behind || backlogOf(first, s, name) > 0
		}
		if !behind || !time.Now().Before(deadline) || ctx.Err() != nil {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// progress shows the run's state after a sample.
func (d *driver) progress(s sample, start time.Time) {
	p := d.cfg.Progress
	if p == nil {
		return
	}
	commands, accepted, reads, errs := d.rec.counts()
	secs := max(s.at.Seconds(), 1e-3)
	done := s.at.Seconds() / d.cfg.Duration.Seconds()
	if d.cfg.Count > 0 {
		done = float64(commands) / float64(d.cfg.Count)
	}
	var backlog int64
	for name := range s.functions {
		backlog = max(backlog, backlogOf(d.first, s, name))
	}
	status := fmt.Sprintf("%4.0fs  %6.0f commands/s  %6.0f reads/s  freshness p99 %s  backlog %d events  refusals and errors %d",
		s.at.Seconds(), float64(accepted)/secs, float64(reads)/secs, benchkit.Millis(d.fresh.recentP99(time.Since(start)-time.Second)), backlog, errs)
	p.Update(time.Now(), done, status)
}
