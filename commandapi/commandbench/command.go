package commandbench

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Main is the `orderctx bench commandapi` command: it runs the command API
// and the hello-world reference as child processes of the orderctx binary.
type Main struct {
	cfg        Config
	variants   string
	helloAddr  string
	profile    string
	serverBin  string
	executable func() (string, error)
}

// NewMain returns the command with its defaults.
func NewMain() *Main {
	return &Main{cfg: Config{Clients: 16, Duration: 5 * time.Second, Out: os.Stdout}, variants: "cached,uncached", executable: os.Executable}
}

// ParseFlags reads the command line (after `bench commandapi`).
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("bench commandapi", flag.ContinueOnError)
	fs.IntVar(&m.cfg.Clients, "clients", m.cfg.Clients, "concurrent HTTP clients")
	fs.DurationVar(&m.cfg.Duration, "duration", m.cfg.Duration, "duration of each scenario")
	fs.StringVar(&m.variants, "variants", m.variants, "command API configurations to measure: cached, uncached (comma-separated)")
	fs.StringVar(&m.helloAddr, "serve-hello", "", "serve only the hello-world reference on this address (the benchmark's child process)")
	fs.StringVar(&m.profile, "server-cpuprofile", "", "write the command API's CPU profile to this file (the last variant's)")
	fs.StringVar(&m.serverBin, "server-binary", "", "run the command API from this orderctx executable (an older build, for comparison); its store requests are not counted")
	return fs.Parse(args)
}

// Run runs the benchmark and prints its table, or serves hello-world.
func (m *Main) Run(ctx context.Context) error {
	if m.helloAddr != "" {
		return ServeHello(ctx, m.helloAddr)
	}
	self, err := m.executable()
	if err != nil {
		return err
	}
	cfg := m.cfg
	cfg.Variants = strings.Split(m.variants, ",")
	server, flags := self, []string{"-stats-interval", "0"}
	if m.serverBin != "" {
		// An older build knows none of the newer flags: run it as it is.
		server, flags = m.serverBin, nil
		cfg.Variants, cfg.Label = []string{"cached"}, filepath.Base(m.serverBin)
	}
	cfg.Start = func(role, addr, dir string, args []string) *exec.Cmd {
		if role == "hello" {
			return exec.Command(self, "bench", "commandapi", "-serve-hello", addr)
		}
		all := append([]string{"commandapi", "-addr", addr, "-data", dir}, flags...)
		if m.profile != "" {
			all = append(all, "-cpuprofile", m.profile)
		}
		return exec.Command(server, append(all, args...)...)
	}
	_, err = Run(ctx, cfg)
	return err
}

// Close has nothing to release: Run stops what it started.
func (m *Main) Close() error { return nil }
