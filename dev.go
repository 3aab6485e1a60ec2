package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"orderctx/commandapi"
	"orderctx/functions"
	"orderctx/functions/consumers"
	"orderctx/functions/funcapp"
	"orderctx/functions/funchost"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/queryapi"
)

// devEmulatorAddr is where -emulator serves the embedded store: the official
// emulator's address, so tools configured for it connect unchanged.
const devEmulatorAddr = "127.0.0.1:8081"

// dev runs the whole system in one process on the embedded store: the
// command API (127.0.0.1:8080), the query API (127.0.0.1:8090), every
// change-feed function of the app hosted in process (as funchost does), the
// embedded NATS JetStream broker (127.0.0.1:4222) and, with -emulator, the
// store's emulator-compatible endpoint on https://localhost:8081.
// COSMOS_ENDPOINT is ignored here: dev never touches a real account.
type dev struct {
	store    cosmosdb.Config
	emulator bool
	// emulatorAddr is where -emulator serves (devEmulatorAddr unless told).
	emulatorAddr  string
	snapshotEvery int64
	reset         bool
	appRoot       string
	natsListen    string
	command       *commandapi.Main
	query         *queryapi.Main
	closers       []func() error
}

func newDev() *dev {
	return &dev{store: cosmosdb.Config{Database: "orderctx", DataDir: ".orderctx"}, appRoot: ".",
		natsListen: natsbus.DefaultListen, emulatorAddr: devEmulatorAddr, command: commandapi.NewMain(), query: queryapi.NewMain()}
}

func (d *dev) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.StringVar(&d.command.Addr, "addr", d.command.Addr, "listen address of the command API")
	fs.StringVar(&d.query.Addr, "query-addr", d.query.Addr, "listen address of the query API")
	fs.StringVar(&d.natsListen, "nats-listen", d.natsListen, "listen address of the embedded NATS JetStream server")
	fs.StringVar(&d.appRoot, "app", d.appRoot, "Functions app root (host.json and the function folders)")
	fs.BoolVar(&d.emulator, "emulator", false, "also serve the embedded store at https://localhost:8081 (the emulator's address and key)")
	fs.StringVar(&d.emulatorAddr, "emulator-addr", d.emulatorAddr, "where -emulator serves the store")
	fs.Int64Var(&d.snapshotEvery, "snapshot-every", 0, "snapshot an order every N events (0: 50)")
	fs.StringVar(&d.store.DataDir, "data", d.store.DataDir, "data directory of the embedded store and the broker")
	fs.BoolVar(&d.store.Memory, "memory", false, "keep everything in memory (nothing survives a restart)")
	fs.BoolVar(&d.reset, "reset", false, "delete the data directory first")
	return fs.Parse(args)
}

func (d *dev) Run(ctx context.Context) error {
	if d.reset && !d.store.Memory {
		if err := os.RemoveAll(d.store.DataDir); err != nil {
			return err
		}
	}
	if d.emulator {
		d.store.EmulatorAddr = d.emulatorAddr
	}
	log := slog.Default()
	conn, err := cosmosdb.Open(ctx, d.store, log)
	if err != nil {
		return err
	}
	d.closers = append(d.closers, conn.Close)
	host, bus, err := d.functions(ctx, conn, log)
	if err != nil {
		return err
	}
	cmd, err := commandapi.NewOnConn(conn, log)
	if err != nil {
		return err
	}
	d.query.Log = log
	if err := d.query.OpenOnConn(conn); err != nil {
		return err
	}
	d.closers = append(d.closers, d.query.Close)
	d.banner(conn, bus)
	return runComponents(ctx,
		func(ctx context.Context) error { return cmd.Run(ctx, d.command.Addr) },
		d.query.Run,
		host.Run,
	)
}

// functions hosts the app's change-feed functions in process, with the
// embedded broker for the integration events.
func (d *dev) functions(ctx context.Context, conn *cosmosdb.Conn, log *slog.Logger) (*funchost.Host, *consumers.Bus, error) {
	app, err := funcapp.Load(d.appRoot, os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	bus, err := consumers.OpenBus(ctx, consumers.BusConfig{Getenv: func(string) string { return "" }, DataDir: d.store.DataDir,
		Memory: d.store.Memory, Listen: d.natsListen, Log: log})
	if err != nil {
		return nil, nil, err
	}
	d.closers = append(d.closers, bus.Close)
	set, err := consumers.Build(consumers.Config{Conn: conn, Bus: bus, Getenv: os.Getenv, Log: log, SnapshotEvery: d.snapshotEvery})
	if err != nil {
		return nil, nil, err
	}
	d.closers = append(d.closers, set.Close)
	handler, err := functions.NewHandler(app, set.Consumers, functions.Options{Log: log})
	if err != nil {
		return nil, nil, err
	}
	host, err := funchost.New(funchost.Config{App: app, Conn: conn, Handler: handler, Log: log})
	if err != nil {
		return nil, nil, err
	}
	go funchost.Report(ctx, host, set, 0, log)
	return host, bus, nil
}

// banner prints what runs where and a session to copy.
func (d *dev) banner(conn *cosmosdb.Conn, bus *consumers.Bus) {
	store := "embedded store in " + d.store.DataDir
	if d.store.Memory {
		store = "embedded store in memory"
	}
	if e := conn.EmulatorEndpoint(); e != "" {
		store += ", also at " + e + " (emulator key)"
	}
	fmt.Fprintf(os.Stderr, `
orderctx dev
  command API   http://%[1]s
  query API     http://%[2]s
  functions     ProjectOrders, PublishIntegrationEvents, SnapshotOrders, CopyOrdersToPostgres (in process)
  broker        %[3]s  (JetStream stream ORDERS, subjects orders.v1.>)
  store         %[4]s

Try:
  curl -s http://%[1]s/orders -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' \
    -d '{"orderId":"o-1","buyerId":"b-1","currency":"EUR","shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},"items":[{"productId":"p-1","name":"Pen","quantity":2,"unitPrice":150}]}'
  curl -s 'http://%[2]s/orders/o-1?minVersion=1'
  nats --server %[3]s sub 'orders.v1.>'

`, d.command.Addr, d.query.Addr, bus.URL, store)
}

func (d *dev) Close() error {
	var first error
	for i := len(d.closers) - 1; i >= 0; i-- {
		if err := d.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	d.closers = nil
	return first
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
