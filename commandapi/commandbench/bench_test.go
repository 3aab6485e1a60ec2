package commandbench_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"orderctx/commandapi"
	"orderctx/commandapi/commandbench"
)

// childEnv makes the test binary play a child process of the benchmark:
// "hello <addr>" or "commandapi <addr> <dir> [flags...]", as the orderctx
// binary does for `orderctx bench commandapi`.
const childEnv = "ORDERCTX_COMMANDBENCH_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(strings.Fields(role)))
	}
	os.Exit(m.Run())
}

func runChild(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "hello":
		err = commandbench.ServeHello(ctx, args[1])
	default:
		m := commandapi.NewMain()
		if err = m.ParseFlags(append([]string{"-addr", args[1], "-data", args[2], "-stats-interval", "0"}, args[3:]...)); err == nil {
			err = m.Run(ctx)
			_ = m.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// start runs the test binary as a child of the given role.
func start(role, addr, dir string, args []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(append([]string{role, addr, dir}, args...), " "))
	return cmd
}

// TestRunSmall runs the whole benchmark briefly: both variants and the
// reference answer without errors, the cached variant needs one store
// request per command and the uncached one a load besides the append.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	rep, err := commandbench.Run(context.Background(), commandbench.Config{Clients: 2, Duration: 300 * time.Millisecond, Start: start, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(rep.Commands) != 2 || rep.HelloBefore.Requests == 0 || rep.HelloAfter.Requests == 0 || rep.HelloCPU() <= 0 {
		t.Fatalf("report %+v\n%s", rep, out.String())
	}
	cached, uncached := rep.Commands[0], rep.Commands[1]
	if cached.Requests == 0 || cached.RequestsPerCommand() != 1 || cached.Charge <= 0 {
		t.Fatalf("cached: %d commands, %.3f store requests each, charge %v\n%s", cached.Requests, cached.RequestsPerCommand(), cached.Charge, out.String())
	}
	if uncached.Requests == 0 || uncached.RequestsPerCommand() < 2.5 {
		t.Fatalf("uncached: %d commands, %.3f store requests each\n%s", uncached.Requests, uncached.RequestsPerCommand(), out.String())
	}
	if !strings.Contains(out.String(), "| lifecycle, cached |") {
		t.Fatalf("table:\n%s", out.String())
	}
}

// BenchmarkCommandAPI runs the benchmark once (use -benchtime 1x) with
// COMMANDBENCH_SECONDS per scenario (default 5), printing the table and
// reporting the cached variant's key numbers.
func BenchmarkCommandAPI(b *testing.B) {
	seconds := 5
	if n, err := strconv.Atoi(os.Getenv("COMMANDBENCH_SECONDS")); err == nil && n > 0 {
		seconds = n
	}
	for i := 0; i < b.N; i++ {
		rep, err := commandbench.Run(context.Background(), commandbench.Config{Duration: time.Duration(seconds) * time.Second, Start: start, Out: os.Stdout})
		if err != nil {
			b.Fatal(err)
		}
		c := rep.Commands[0]
		b.ReportMetric(c.Rate(), "commands/s")
		b.ReportMetric(float64(c.P99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(c.CPUPerRequest())/float64(rep.HelloCPU()), "cpu-x-hello")
		b.ReportMetric(c.RequestsPerCommand(), "store-requests/command")
	}
}
