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
	"orderctx/functions/handlercmd"
)

// childEnv makes this test binary run a command of the orderctx binary with
// its command line instead of the tests: "funchost" (funchost.Main) or
// "functions" (the custom handler, handlercmd.Main). The process tests start
// their funchost instances and handler processes so.
const childEnv = "FUNCHOST_TEST_CHILD"

func TestMain(m *testing.M) {
	if kind := os.Getenv(childEnv); kind != "" {
		// As main.go: the logger first, since NewMain takes slog.Default().
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
		commands := map[string]func() command{
			"funchost":  func() command { return funchost.NewMain() },
			"functions": func() command { return handlercmd.NewMain() },
		}
		os.Exit(runCommand(commands[kind](), os.Args[1:]))
	}
	os.Exit(m.Run())
}

// command is what main.go runs of a subcommand.
type command interface {
	ParseFlags(args []string) error
	Run(ctx context.Context) error
	Close() error
}

// runCommand is main.go's run: SIGTERM is the graceful stop (leases
// released), SIGKILL the crash.
func runCommand(c command, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := c.ParseFlags(args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err := c.Run(ctx)
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		slog.Error("command failed", "err", err)
		return 1
	}
	return 0
}
