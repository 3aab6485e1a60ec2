package cosmosbench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"orderctx/infra/cosmosemu"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// Durability's cost is a ratio: a durable server's CPU per operation over an
// in-memory one's. Measured in separate runs, the shared machine's drift
// (±30% between runs) swamps it, so Compare runs both servers side by side
// in one run and alternates them scenario by scenario, round by round.

// target is one server under load with its clients and its own counters.
type target struct {
	mode    string // "durable" or "memory"
	cmd     *exec.Cmd
	clients []*azcosmos.ContainerClient
	created atomic.Int64
	batches atomic.Int64
}

// Comparison is one scenario measured on both servers in one round.
type Comparison struct {
	Scenario        string
	Round           int
	Durable, Memory Result
}

// Ratio is the durable server's CPU per operation over the in-memory one's.
func (c Comparison) Ratio() float64 {
	return float64(c.Durable.ServerCPUPerOp()) / float64(max(c.Memory.ServerCPUPerOp(), 1))
}

// Compare starts a durable and an in-memory server and, for cfg.Rounds
// rounds, runs the create and the batch-of-5 scenarios against each in
// turn (which goes first alternates by round), then prints every round's
// ratios and the totals.
func Compare(ctx context.Context, cfg Config) ([]Comparison, error) {
	cfg = withDefaults(cfg)
	dir, err := os.MkdirTemp("", "cosmosbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var targets [2]*target
	for i, mode := range []string{"durable", "memory"} {
		t, err := startTarget(ctx, cfg, mode, filepath.Join(dir, mode))
		if err != nil {
			return nil, err
		}
		defer t.stop()
		targets[i] = t
	}
	var out []Comparison
	for round := 1; round <= cfg.Rounds; round++ {
		for _, sc := range []struct {
			key, name string
			op        func(t *target) operation
		}{
			{"create", "create", func(t *target) operation { return createOp(ctx, &t.created) }},
			{"batch", "batch of 5 creates", func(t *target) operation { return batchOp(ctx, &t.batches) }},
		} {
			if cfg.Only != "" && cfg.Only != sc.key {
				continue
			}
			c := Comparison{Scenario: sc.name, Round: round}
			for i := range targets {
				t := targets[(i+round)%2] // alternate which server goes first
				r, err := load(ctx, cfg, t.cmd.Process.Pid, t.clients, sc.name, sc.op(t))
				if err != nil {
					return nil, fmt.Errorf("%s, %s: %w", t.mode, sc.name, err)
				}
				if t.mode == "durable" {
					c.Durable = r
				} else {
					c.Memory = r
				}
			}
			out = append(out, c)
		}
	}
	printComparisons(cfg, out)
	return out, nil
}

// withDefaults fills in the zero fields of cfg.
func withDefaults(cfg Config) Config {
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.FeedItems <= 0 {
		cfg.FeedItems = 100000
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 3
	}
	return cfg
}

// startTarget starts one server (its CPU profile, if asked for, gets the
// mode in its name) and creates the bench container on it.
func startTarget(ctx context.Context, cfg Config, mode, dir string) (*target, error) {
	cfg.Memory = mode == "memory"
	if cfg.CPUProfile != "" {
		ext := filepath.Ext(cfg.CPUProfile)
		cfg.ServerArgs = append(cfg.ServerArgs, "-cpuprofile", strings.TrimSuffix(cfg.CPUProfile, ext)+"."+mode+ext)
	}
	cmd, endpoint, err := startServer(cfg, dir)
	if err != nil {
		return nil, err
	}
	t := &target{mode: mode, cmd: cmd, clients: make([]*azcosmos.ContainerClient, cfg.Clients)}
	for i := range t.clients {
		if t.clients[i], err = container(endpoint); err != nil {
			t.stop()
			return nil, err
		}
	}
	if err := setup(ctx, endpoint); err != nil {
		t.stop()
		return nil, err
	}
	if mode == "memory" && cfg.MemoryWait > 0 {
		if err := holdWrites(endpoint, cfg.MemoryWait); err != nil {
			t.stop()
			return nil, err
		}
	}
	return t, nil
}

// stop interrupts the server, which lets it flush its profile, and waits.
func (t *target) stop() {
	_ = t.cmd.Process.Signal(os.Interrupt)
	_ = t.cmd.Wait()
}

func printComparisons(cfg Config, cs []Comparison) {
	if cfg.Out == nil {
		return
	}
	w := bufio.NewWriter(cfg.Out)
	defer w.Flush()
	fmt.Fprintf(w, "clients=%d duration=%s rounds=%d, durable and in-memory servers side by side", cfg.Clients, cfg.Duration, cfg.Rounds)
	if cfg.MemoryWait > 0 {
		fmt.Fprintf(w, ", the in-memory one holding every write %s", cfg.MemoryWait)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-5s %-20s %-8s %8s %8s %9s %9s %13s %13s %13s\n",
		"round", "scenario", "server", "ops", "ops/s", "p50", "p99", "server CPU/op", "per item", "client CPU/op")
	for _, c := range cs {
		for _, r := range []struct {
			mode string
			res  Result
		}{{"durable", c.Durable}, {"memory", c.Memory}} {
			fmt.Fprintf(w, "%-5d %-20s %-8s %8d %8.0f %9s %9s %13s %13s %13s\n", c.Round, c.Scenario, r.mode,
				r.res.Ops, r.res.OpsPerSecond(), r.res.P50.Round(time.Microsecond), r.res.P99.Round(time.Microsecond),
				r.res.ServerCPUPerOp().Round(100*time.Nanosecond), perItem(c.Scenario, r.res).Round(100*time.Nanosecond),
				r.res.ClientCPUPerOp().Round(100*time.Nanosecond))
		}
	}
	fmt.Fprintf(w, "durable / in-memory server CPU per operation:\n")
	for _, name := range []string{"create", "batch of 5 creates"} {
		var rounds []string
		var d, m Result
		for _, c := range cs {
			if c.Scenario == name {
				rounds = append(rounds, fmt.Sprintf("%.2f", c.Ratio()))
				d, m = sum(d, c.Durable), sum(m, c.Memory)
			}
		}
		if len(rounds) > 0 {
			all := Comparison{Durable: d, Memory: m}
			fmt.Fprintf(w, "  %-20s %.2f over all rounds (rounds: %s); durable %s/op, in memory %s/op\n", name, all.Ratio(),
				strings.Join(rounds, " "), d.ServerCPUPerOp().Round(100*time.Nanosecond), m.ServerCPUPerOp().Round(100*time.Nanosecond))
		}
	}
}

// perItem is the server CPU per item written.
func perItem(scenario string, r Result) time.Duration {
	if strings.HasPrefix(scenario, "batch") {
		return r.ServerCPUPerOp() / batchSize
	}
	return r.ServerCPUPerOp()
}

// sum adds up the counts and times of two results of one scenario.
func sum(a, b Result) Result {
	return Result{Name: b.Name, Ops: a.Ops + b.Ops, Seconds: a.Seconds + b.Seconds,
		ServerCPU: a.ServerCPU + b.ServerCPU, ClientCPU: a.ClientCPU + b.ClientCPU}
}

// holdWrites makes the server wait before answering every write (POST to
// items or a batch): a latency fault through its control endpoint.
func holdWrites(endpoint string, wait time.Duration) error {
	rule := fmt.Sprintf(`{"method":"POST","pathContains":"/docs","latencyMs":%d}`, wait.Milliseconds())
	answer, status, err := cosmosemu.Control(endpoint, cosmosemu.EmulatorKey, http.MethodPost, "faults", []byte(rule))
	if err == nil && status != http.StatusNoContent {
		err = fmt.Errorf("status %d: %s", status, answer)
	}
	if err != nil {
		return fmt.Errorf("hold the in-memory server's writes: %w", err)
	}
	return nil
}
