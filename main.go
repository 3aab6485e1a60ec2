// Command orderctx is the single binary of the order service: the embedded
// Cosmos DB-compatible server, the APIs, the change-feed consumers and the
// tools. Each subcommand's wiring lives beside its package as a small Main
// type (flags, run, close); this file is only the dispatch table, and dev.go
// composes the whole system in one process.
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
	"strings"
	"syscall"

	"orderctx/commandapi"
	"orderctx/commandapi/commandbench"
	"orderctx/functions/funchost"
	"orderctx/functions/handlercmd"
	"orderctx/functions/rebuild"
	"orderctx/functions/verify"
	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmosbench"
	"orderctx/queryapi"
	"orderctx/queryapi/querybench"
)

// program is one subcommand: its flags are parsed, it runs until the context
// ends (or it fails), and it is closed.
type program interface {
	ParseFlags(args []string) error
	Run(ctx context.Context) error
	Close() error
}

// command is one entry of the dispatch table. A command with subcommands
// (bench cosmos) takes its first argument as the subcommand's name; with new
// set as well, the command alone (or followed by flags) runs new (bench).
type command struct {
	summary string
	new     func() program
	sub     map[string]func() program
}

var commands = map[string]command{
	"cosmos":     {summary: "run the embedded Cosmos DB-compatible server (emulator-compatible endpoint)", new: func() program { return cosmosemu.NewMain() }},
	"commandapi": {summary: "run the command API (HTTP, 127.0.0.1:8080)", new: func() program { return commandapi.NewMain() }},
	"queryapi":   {summary: "run the query API (HTTP, 127.0.0.1:8090)", new: func() program { return queryapi.NewMain() }},
	"functions":  {summary: "run the Functions custom handler (started by the Functions host)", new: func() program { return handlercmd.NewMain() }},
	"funchost":   {summary: "run the change-feed functions outside Azure (leases, triggers, handler)", new: func() program { return funchost.NewMain() }},
	"dev":        {summary: "run the whole system in one process on the embedded store", new: func() program { return newDev() }},
	"rebuild": {summary: "rebuild a read model from the events while the system runs (rebuild views | postgres)", sub: map[string]func() program{
		"views":    func() program { return rebuild.NewViewsMain() },
		"postgres": func() program { return rebuild.NewPostgresMain() },
	}},
	"verify": {summary: "check a whole store: streams, views, snapshots, published events, parked events", new: func() program { return verify.NewMain() }},
	"bench": {summary: "measure the running system under load (bench [system] | cosmos | commandapi | queryapi)", new: newSystemBench, sub: map[string]func() program{
		"system":     newSystemBench,
		"cosmos":     func() program { return cosmosbench.NewMain() },
		"commandapi": func() program { return commandbench.NewMain() },
		"queryapi":   func() program { return querybench.NewMain() },
	}},
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

// resolve finds the program a command line names, and the arguments left for it.
func resolve(args []string) (program, []string, error) {
	cmd, ok := commands[args[0]]
	if !ok {
		return nil, nil, fmt.Errorf("unknown command %q", args[0])
	}
	if cmd.sub == nil || (cmd.new != nil && (len(args) < 2 || strings.HasPrefix(args[1], "-"))) {
		return cmd.new(), args[1:], nil
	}
	names := make([]string, 0, len(cmd.sub))
	for n := range cmd.sub {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) < 2 || cmd.sub[args[1]] == nil {
		return nil, nil, fmt.Errorf("usage: orderctx %s <%s> [flags]", args[0], strings.Join(names, "|"))
	}
	return cmd.sub[args[1]](), args[2:], nil
}

// run parses, runs and closes one program; a failure to close is reported
// when the run itself succeeded.
func run(ctx context.Context, p program, args []string) error {
	if err := p.ParseFlags(args); err != nil {
		return err
	}
	err := p.Run(ctx)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// exitStatus is the process's status for a failed run: the one the error
// carries (verify: 1 for differences, 2 when it could not check), else 1.
func exitStatus(err error) int {
	var s interface{ ExitStatus() int }
	if errors.As(err, &s) {
		return s.ExitStatus()
	}
	return 1
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	// Before resolve: every command's NewMain takes slog.Default() as its
	// logger, which must already be the JSON one (else each record is
	// wrapped as text inside a JSON record, its level lost).
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	p, args, err := resolve(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "orderctx: %v\n\n", err)
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, p, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		slog.Error("orderctx "+os.Args[1]+" failed", "err", err)
		os.Exit(exitStatus(err))
	}
}
