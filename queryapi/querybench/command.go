package querybench

import (
	"context"
	"flag"
	"os"
	"time"
)

// Main is the `orderctx bench queryapi` command.
type Main struct{ cfg Config }

// NewMain returns the command with its defaults.
func NewMain() *Main {
	return &Main{cfg: Config{Orders: 100_000, Clients: 16, Duration: 5 * time.Second, Out: os.Stdout}}
}

// ParseFlags reads the command line (after `bench queryapi`).
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("bench queryapi", flag.ContinueOnError)
	fs.IntVar(&m.cfg.Orders, "orders", m.cfg.Orders, "views in the store")
	fs.IntVar(&m.cfg.Clients, "clients", m.cfg.Clients, "concurrent HTTP clients of the throughput runs")
	fs.IntVar(&m.cfg.LatencyClients, "latency-clients", 2, "concurrent HTTP clients of the latency runs")
	fs.DurationVar(&m.cfg.Duration, "duration", m.cfg.Duration, "duration of each load scenario")
	return fs.Parse(args)
}

// Run runs the benchmark and prints its table.
func (m *Main) Run(ctx context.Context) error {
	_, err := Run(ctx, m.cfg)
	return err
}

// Close has nothing to release: Run stops what it started.
func (m *Main) Close() error { return nil }
