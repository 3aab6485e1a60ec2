// Command orderctx is the single binary of the order service: the embedded
// Cosmos DB-compatible server and, as they arrive, the APIs and consumers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{
	"cosmos":     {"run the embedded Cosmos DB-compatible server (emulator-compatible endpoint)", runCosmos},
	"bench":      {"measure a component under load (bench cosmos)", runBench},
	"commandapi": {"run the command API (HTTP, 127.0.0.1:8080)", runCommandAPI},
	"dev":        {"run the whole system in one process on the embedded store", runDev},
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: orderctx <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'orderctx <command> -h' for a command's flags.")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		if os.Args[1] != "-h" && os.Args[1] != "--help" && os.Args[1] != "help" {
			fmt.Fprintf(os.Stderr, "orderctx: unknown command %q\n\n", os.Args[1])
		}
		usage()
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		slog.Error("orderctx "+os.Args[1]+" failed", "err", err)
		os.Exit(1)
	}
}
