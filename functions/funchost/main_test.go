package funchost_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"orderctx/functions/funchost"
)

// childEnv, set to "1", makes this test binary run `orderctx funchost`
// (funchost.Main) with its command line instead of the tests: the process
// tests start it as their funchost instances.
const childEnv = "FUNCHOST_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runFunchost(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runFunchost is main.go's run for the funchost command: SIGTERM is the
// graceful stop (leases released), SIGKILL the crash.
func runFunchost(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	m := funchost.NewMain()
	m.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := m.ParseFlags(args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err := m.Run(ctx)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		m.Log.Error("funchost failed", "err", err)
		return 1
	}
	return 0
}
