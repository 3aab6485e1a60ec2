package systembench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"orderctx/infra/benchkit"
)

// System is where a running system answers.
type System struct{ CommandURL, QueryURL, StatsURL string }

// StartFunc starts a system in this process, with the Functions app at
// appRoot (host.json and the function folders), and returns where it
// answers and how to stop it (-inprocess).
type StartFunc func(ctx context.Context, appRoot string) (System, func() error, error)

// Main is the `orderctx bench` command (also `orderctx bench system`).
type Main struct {
	cfg       Config
	pids      string
	json      bool
	chart     string
	inProcess bool
	appRoot   string
	profile   string
	start     StartFunc
	out       io.Writer
	stop      func() error
}

// NewMain returns the command with its defaults; start runs the system in
// process for -inprocess (nil: the flag is refused).
func NewMain(start StartFunc) *Main {
	return &Main{cfg: Config{CommandURL: "http://127.0.0.1:8080", QueryURL: "http://127.0.0.1:8090", StatsURL: "http://127.0.0.1:8070",
		Clients: 16, Duration: 30 * time.Second, ReadShare: 0.5, ConflictShare: 0.04, InvalidShare: 0.02, ReferenceShare: 0.05, Drain: 5 * time.Second},
		chart: "bench-system.svg", appRoot: ".", start: start, out: os.Stdout}
}

// ParseFlags reads the command line (after `bench` or `bench system`).
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&m.cfg.CommandURL, "command-url", m.cfg.CommandURL, "the command API")
	fs.StringVar(&m.cfg.QueryURL, "query-url", m.cfg.QueryURL, "the query API")
	fs.StringVar(&m.cfg.StatsURL, "funchost-url", m.cfg.StatsURL, "funchost's statistics (dev: :8070; funchost: its -stats-addr); empty: none")
	fs.IntVar(&m.cfg.Clients, "clients", m.cfg.Clients, "concurrent closed-loop clients")
	fs.DurationVar(&m.cfg.Duration, "duration", m.cfg.Duration, "length of the load (unless -count)")
	fs.IntVar(&m.cfg.Count, "count", 0, "send this many commands, then stop (instead of -duration)")
	fs.Float64Var(&m.cfg.ReadShare, "reads", m.cfg.ReadShare, "share of requests that are reads (0 to 1)")
	fs.Float64Var(&m.cfg.ConflictShare, "conflicts", m.cfg.ConflictShare, "share of commands sent to be refused: stale If-Match (412) and places of existing orders (409)")
	fs.Float64Var(&m.cfg.InvalidShare, "invalid", m.cfg.InvalidShare, "share of commands sent invalid (400)")
	fs.Float64Var(&m.cfg.ReferenceShare, "reference", m.cfg.ReferenceShare, "share of reads sent to the query API's /healthz, the no-op whose latency in the same run is the floor for reads")
	fs.DurationVar(&m.cfg.Drain, "drain", m.cfg.Drain, "after the load, wait at most this long for the last commands' views")
	fs.StringVar(&m.pids, "pids", "", "more of the system's process ids, comma-separated, besides the processes found listening on the URLs' ports (e.g. orderctx cosmos)")
	fs.BoolVar(&m.json, "json", false, "write the report as JSON instead of tables")
	fs.StringVar(&m.chart, "chart", m.chart, "write the SVG chart (throughput, freshness, lag, CPU per second) to this file; empty: none")
	fs.BoolVar(&m.inProcess, "inprocess", false, "start the whole system (as `orderctx dev -memory`) in this process on free ports and drive it")
	fs.StringVar(&m.profile, "cpuprofile", "", "write the bench's CPU profile to this file (what the client costs; with -inprocess, the system's too)")
	fs.StringVar(&m.appRoot, "app", m.appRoot, "with -inprocess: the Functions app root (host.json and the function folders)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q (subcommands: system, cosmos, commandapi, queryapi)", fs.Args())
	}
	for _, p := range strings.Split(m.pids, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			return fmt.Errorf("-pids: %q is not a process id", p)
		}
		m.cfg.PIDs = append(m.cfg.PIDs, pid)
	}
	if m.inProcess && m.start == nil {
		return errors.New("-inprocess: this build cannot start the system in process")
	}
	return m.cfg.Validate()
}

// Run drives the system (started here with -inprocess) and writes the report.
func (m *Main) Run(ctx context.Context) error {
	stopProfile, err := benchkit.CPUProfile(m.profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	cfg := m.cfg
	if m.inProcess {
		sys, stop, err := m.start(ctx, m.appRoot)
		if err != nil {
			return err
		}
		m.stop = stop
		cfg.CommandURL, cfg.QueryURL, cfg.StatsURL, cfg.InProcess, cfg.PIDs = sys.CommandURL, sys.QueryURL, sys.StatsURL, true, nil
	}
	cfg.Progress = benchkit.NewProgress(os.Stderr, 5*time.Second)
	rep, err := Run(ctx, cfg)
	if rep == nil {
		return err
	}
	if m.json {
		if werr := rep.WriteJSON(m.out); werr != nil {
			return werr
		}
	} else {
		rep.WriteTable(m.out)
	}
	if m.chart != "" {
		if cerr := writeFile(m.chart, rep.WriteChart); cerr != nil {
			return cerr
		}
		fmt.Fprintf(os.Stderr, "chart written to %s\n", m.chart)
	}
	return err
}

// Close stops a system started in process.
func (m *Main) Close() error {
	if m.stop == nil {
		return nil
	}
	err := m.stop()
	m.stop = nil
	return err
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
