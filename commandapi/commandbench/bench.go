// Package commandbench measures the command API as a user runs it:
// `orderctx commandapi` in a process of its own on its durable embedded
// store, driven over loopback by closed-loop HTTP clients that each run
// order lifecycles (place, add an item, pay, ship). The server's CPU time is
// read from /proc, so it is the server's alone (API, service, SDK and store),
// and is compared with an echo v4 hello-world handler in its own process,
// measured the same way before and after (a shared machine drifts). Store
// requests per command come from the server's /debug/stats. The numbers are
// in docs/benchmarks.md.
package commandbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/commandapi"
	"orderctx/infra/benchkit"
)

// Config sets what a run measures; zero fields take the defaults.
type Config struct {
	Clients  int           // concurrent HTTP clients (16)
	Duration time.Duration // per scenario (5 s)
	// Variants are the command API configurations to measure, each a fresh
	// process on a fresh data directory: "cached" (the default settings)
	// and "uncached" (-cache=false). Default: both.
	Variants []string
	// Start returns the command of a child process: role "hello" serves
	// the hello-world reference on addr, role "commandapi" the command API
	// on addr with its data in dir and the extra args. Required.
	Start func(role, addr, dir string, args []string) *exec.Cmd
	Out   io.Writer // the table (nil: nowhere)
	// Label, when set, names the command API's build in the table instead
	// of the variant (a run of another executable).
	Label string
}

func (c *Config) defaults() {
	if c.Clients <= 0 {
		c.Clients = 16
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	if len(c.Variants) == 0 {
		c.Variants = []string{"cached", "uncached"}
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
}

// variantArgs are the command API flags of each variant.
var variantArgs = map[string][]string{
	"cached":   nil,
	"uncached": {"-cache=false"},
}

// Result is one scenario.
type Result struct {
	Name string
	Load
	// ServerCPU is the server process's CPU time over the scenario,
	// ClientCPU this process's (the load generator's).
	ServerCPU, ClientCPU time.Duration
	// StoreRequests is what the command API sent to its store over the
	// scenario (0 for hello-world).
	StoreRequests int64
}

// CPUPerRequest is the server's CPU time per accepted request.
func (r Result) CPUPerRequest() time.Duration {
	return r.ServerCPU / time.Duration(max(r.Requests, 1))
}

// RequestsPerCommand is the mean number of store requests per command.
func (r Result) RequestsPerCommand() float64 {
	return float64(r.StoreRequests) / float64(max(r.Requests, 1))
}

// Report is a whole run.
type Report struct {
	HelloBefore, HelloAfter Result
	Commands                []Result
}

// HelloCPU is the mean of the two hello-world runs' CPU per request.
func (r Report) HelloCPU() time.Duration {
	n := r.HelloBefore.Requests + r.HelloAfter.Requests
	return (r.HelloBefore.ServerCPU + r.HelloAfter.ServerCPU) / time.Duration(max(n, 1))
}

// Run measures hello-world, each variant, and hello-world again.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.defaults()
	if cfg.Start == nil {
		return Report{}, errors.New("commandbench: no Start")
	}
	var rep Report
	var err error
	if rep.HelloBefore, err = helloScenario(ctx, cfg, "hello-world (echo v4)"); err != nil {
		return rep, err
	}
	for _, v := range cfg.Variants {
		args, ok := variantArgs[v]
		if !ok {
			return rep, fmt.Errorf("commandbench: unknown variant %q (cached, uncached)", v)
		}
		name := "lifecycle, " + v
		if cfg.Label != "" {
			name = "lifecycle, " + cfg.Label
		}
		r, err := commandScenario(ctx, cfg, name, args)
		if err != nil {
			return rep, err
		}
		rep.Commands = append(rep.Commands, r)
	}
	if rep.HelloAfter, err = helloScenario(ctx, cfg, "hello-world (echo v4), again"); err != nil {
		return rep, err
	}
	rep.print(cfg)
	n := rep.HelloBefore.Errors + rep.HelloAfter.Errors
	for _, r := range rep.Commands {
		n += r.Errors
	}
	if n > 0 {
		return rep, fmt.Errorf("%d requests failed", n)
	}
	return rep, nil
}

func helloScenario(ctx context.Context, cfg Config, name string) (Result, error) {
	child, base, err := startChild(ctx, cfg, "hello", "", nil, "/")
	if err != nil {
		return Result{}, err
	}
	defer child.stop()
	hello := []step{{method: http.MethodGet, path: "/", want: http.StatusOK}}
	return child.measure(ctx, name, func() Load {
		return runLoad(ctx, base, cfg.Clients, cfg.Duration, func(int, int) []step { return hello })
	})
}

func commandScenario(ctx context.Context, cfg Config, name string, args []string) (Result, error) {
	dir, err := os.MkdirTemp("", "commandbench")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	child, base, err := startChild(ctx, cfg, "commandapi", filepath.Join(dir, "data"), args, "/healthz")
	if err != nil {
		return Result{}, err
	}
	defer child.stop()
	before, err := serverStats(ctx, base)
	if err != nil {
		return Result{}, err
	}
	prefix := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	r, err := child.measure(ctx, name, func() Load {
		return runLoad(ctx, base, cfg.Clients, cfg.Duration, func(c, n int) []step {
			return lifecycle(fmt.Sprintf("%s-%d-%d", prefix, c, n))
		})
	})
	if err != nil {
		return r, err
	}
	after, err := serverStats(ctx, base)
	r.StoreRequests = after.StoreRequests - before.StoreRequests
	return r, err
}

// child is a server process of a scenario.
type child struct{ cmd *exec.Cmd }

// startChild starts a server of role on a free loopback port and waits
// until probe answers 200.
func startChild(ctx context.Context, cfg Config, role, dir string, args []string, probe string) (*child, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := cfg.Start(role, addr, dir, args)
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %w", role, err)
	}
	c := &child{cmd: cmd}
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + probe)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, base, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.stop()
			return nil, "", fmt.Errorf("%s did not answer on %s", role, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// measure runs load and reads the child's CPU time around it.
func (c *child) measure(ctx context.Context, name string, load func() Load) (Result, error) {
	before, err := benchkit.ProcessCPU(c.cmd.Process.Pid)
	if err != nil {
		return Result{}, err
	}
	self := benchkit.SelfCPU()
	l := load()
	self = benchkit.SelfCPU() - self
	after, err := benchkit.ProcessCPU(c.cmd.Process.Pid)
	return Result{Name: name, Load: l, ServerCPU: after - before, ClientCPU: self}, err
}

// stop interrupts the child (so it shuts down as a user's would) and waits.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

func serverStats(ctx context.Context, base string) (commandapi.StatsDocument, error) {
	var doc commandapi.StatsDocument
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/stats", nil)
	if err != nil {
		return doc, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return doc, err
	}
	defer resp.Body.Close()
	return doc, json.NewDecoder(resp.Body).Decode(&doc)
}

// ServeHello serves the reference, echo v4 answering a constant string, on
// addr until ctx ends.
func ServeHello(ctx context.Context, addr string) error {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "Hello, World!") })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (r Report) print(cfg Config) {
	w := cfg.Out
	hello := r.HelloCPU()
	fmt.Fprintf(w, "%d clients, %s per scenario, %d CPUs\n\n", cfg.Clients, cfg.Duration, runtime.NumCPU())
	fmt.Fprintf(w, "| scenario | accepted/s | p50 | p99 | server CPU/request | × hello-world | client CPU/request | store requests/command | RU/command |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(x Result, perCommand bool) {
		reqs, ru := "", ""
		if perCommand {
			reqs = fmt.Sprintf("%.3f", x.RequestsPerCommand())
			ru = fmt.Sprintf("%.2f", x.Charge/float64(max(x.Requests, 1)))
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %.1f µs | %.1f | %.1f µs | %s | %s |\n", x.Name, x.Rate(), ms(x.P50), ms(x.P99),
			benchkit.Micros(x.CPUPerRequest()), float64(x.CPUPerRequest())/float64(max(hello, 1)),
			benchkit.Micros(x.ClientCPU/time.Duration(max(x.Requests, 1))), reqs, ru)
	}
	row(r.HelloBefore, false)
	for _, c := range r.Commands {
		row(c, true)
	}
	row(r.HelloAfter, false)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
