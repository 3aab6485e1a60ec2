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

// dev runs the whole system in one process on the embedded store: the
// command API on 127.0.0.1:8080 and, with -emulator, the store's
// emulator-compatible endpoint on https://localhost:8081. COSMOS_ENDPOINT is
// ignored here: dev never touches a real account.
type dev struct {
	emulator bool
	command  *commandapi.Main
}

func newDev() *dev {
	cmd := commandapi.NewMain()
	cmd.Store = cosmosdb.Config{Database: "orderctx", DataDir: ".orderctx"}
	return &dev{command: cmd}
}

func (d *dev) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.StringVar(&d.command.Addr, "addr", d.command.Addr, "listen address of the command API")
	fs.BoolVar(&d.emulator, "emulator", false, "also serve the embedded store at https://localhost:8081 (the emulator's address and key)")
	fs.StringVar(&d.command.Store.DataDir, "data", d.command.Store.DataDir, "data directory of the embedded store")
	fs.BoolVar(&d.command.Store.Memory, "memory", false, "keep everything in memory (nothing survives a restart)")
	return fs.Parse(args)
}

func (d *dev) Run(ctx context.Context) error {
	if d.emulator {
		d.command.Store.EmulatorAddr = devEmulatorAddr
	}
	d.command.Log = slog.Default()
	if err := d.command.Open(ctx); err != nil {
		return err
	}
	return runComponents(ctx, d.command.Run)
}

func (d *dev) Close() error { return d.command.Close() }

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
