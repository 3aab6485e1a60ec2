package main

import (
	"context"
	"flag"
	"log/slog"
	"sync"

	"orderctx/commandapi"
	"orderctx/infra/cosmosdb"
)

// devEmulatorAddr is where -emulator serves the embedded store: the official
// emulator's address, so tools configured for it connect unchanged.
const devEmulatorAddr = "127.0.0.1:8081"

// runDev runs the whole system in one process on the embedded store: the
// command API on 127.0.0.1:8080 and, with -emulator, the store's
// emulator-compatible endpoint on https://localhost:8081. COSMOS_ENDPOINT is
// ignored here: dev never touches a real account.
func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	addr := fs.String("addr", commandapi.DefaultAddr, "listen address of the command API")
	emulator := fs.Bool("emulator", false, "also serve the embedded store at https://localhost:8081 (the emulator's address and key)")
	dataDir := fs.String("data", ".orderctx", "data directory of the embedded store")
	memory := fs.Bool("memory", false, "keep everything in memory (nothing survives a restart)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := cosmosdb.Config{Database: "orderctx", DataDir: *dataDir, Memory: *memory}
	if *emulator {
		cfg.EmulatorAddr = devEmulatorAddr
	}
	log := slog.Default()
	side, err := openCommandSide(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer side.Close()
	return runComponents(ctx,
		func(ctx context.Context) error { return side.api.Run(ctx, *addr) },
	)
}

// runComponents runs components until ctx is done or one fails; a failure
// stops the others, and the first error is returned.
func runComponents(ctx context.Context, components ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, run := range components {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil {
				once.Do(func() { first = err })
				cancel()
			}
		}()
	}
	wg.Wait()
	return first
}
