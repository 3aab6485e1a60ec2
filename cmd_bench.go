package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"orderctx/infra/cosmosemu/cosmosbench"
)

// runBench measures a component; today the embedded Cosmos DB-compatible server.
func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "cosmos" {
		return fmt.Errorf("usage: orderctx bench cosmos [flags]")
	}
	fs := flag.NewFlagSet("bench cosmos", flag.ContinueOnError)
	clients := fs.Int("clients", 16, "concurrent azcosmos clients")
	duration := fs.Duration("duration", 5*time.Second, "duration of each load scenario")
	feedItems := fs.Int("feed-items", 100000, "items written, then read back through the change feed")
	memory := fs.Bool("memory", false, "run the server in memory (writes not durable)")
	profile := fs.String("server-cpuprofile", "", "write the server's CPU profile to this file")
	only := fs.String("only", "", "report one scenario: create, read, batch or feed")
	serverBin := fs.String("server-binary", "", "serve with this executable instead of orderctx (for baselines)")
	serverLog := fs.Bool("server-log", false, "pass the server's log through to stderr")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var serverArgs []string
	if *profile != "" {
		serverArgs = append(serverArgs, "-cpuprofile", *profile)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *serverBin != "" {
		self = *serverBin
	}
	_, err = cosmosbench.Run(ctx, cosmosbench.Config{Binary: self, Clients: *clients, Duration: *duration,
		FeedItems: *feedItems, Memory: *memory, Out: os.Stdout, ServerArgs: serverArgs, Only: *only, ServerLog: logTo(*serverLog)})
	return err
}

func logTo(on bool) io.Writer {
	if on {
		return os.Stderr
	}
	return nil
}
