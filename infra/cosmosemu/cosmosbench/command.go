package cosmosbench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Main is the `orderctx bench cosmos` command: it starts the server as a
// child process of the orderctx binary and loads it with azcosmos clients.
type Main struct {
	cfg        Config
	profile    string
	serverBin  string
	serverLog  bool
	compare    bool
	executable func() (string, error)
}

// NewMain returns the command with its defaults.
func NewMain() *Main {
	return &Main{cfg: Config{Clients: 16, Duration: 5 * time.Second, FeedItems: 100000, Out: os.Stdout}, executable: os.Executable}
}

// ParseFlags reads the command line (after `bench cosmos`).
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("bench cosmos", flag.ContinueOnError)
	fs.IntVar(&m.cfg.Clients, "clients", m.cfg.Clients, "concurrent azcosmos clients")
	fs.DurationVar(&m.cfg.Duration, "duration", m.cfg.Duration, "duration of each load scenario")
	fs.IntVar(&m.cfg.FeedItems, "feed-items", m.cfg.FeedItems, "items written, then read back through the change feed")
	fs.BoolVar(&m.cfg.Memory, "memory", m.cfg.Memory, "run the server in memory (writes not durable)")
	fs.StringVar(&m.profile, "server-cpuprofile", "", "write the server's CPU profile to this file")
	fs.StringVar(&m.cfg.Only, "only", "", "report one scenario: create, read, batch or feed")
	fs.StringVar(&m.serverBin, "server-binary", "", "serve with this executable instead of orderctx (for baselines)")
	fs.BoolVar(&m.serverLog, "server-log", false, "pass the server's log through to stderr")
	fs.BoolVar(&m.compare, "compare", false, "run a durable and an in-memory server side by side and print durable/in-memory CPU ratios for create and batch (-only create|batch)")
	fs.IntVar(&m.cfg.Rounds, "rounds", 3, "with -compare: rounds of every scenario on both servers")
	fs.DurationVar(&m.cfg.MemoryWait, "memory-wait", 0, "with -compare: the in-memory server holds every write this long (whole ms) before answering, a control for what waiting costs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if w := m.cfg.MemoryWait; w < 0 || w > time.Second || w%time.Millisecond != 0 {
		return fmt.Errorf("-memory-wait %s: want whole milliseconds from 0 to 1s", w)
	}
	return nil
}

// Run runs every scenario and prints the table.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.cfg
	if m.compare {
		cfg.CPUProfile = m.profile
	} else if m.profile != "" {
		cfg.ServerArgs = append(cfg.ServerArgs, "-cpuprofile", m.profile)
	}
	cfg.Binary = m.serverBin
	if cfg.Binary == "" {
		self, err := m.executable()
		if err != nil {
			return err
		}
		cfg.Binary = self
	}
	if m.serverLog {
		cfg.ServerLog = io.Writer(os.Stderr)
	}
	if m.compare {
		_, err := Compare(ctx, cfg)
		return err
	}
	_, err := Run(ctx, cfg)
	return err
}

// Close has nothing to release: Run stops the server it started.
func (m *Main) Close() error { return nil }
