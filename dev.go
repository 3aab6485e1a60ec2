package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"orderctx/commandapi"
	"orderctx/functions"
	"orderctx/functions/consumers"
	"orderctx/functions/funcapp"
	"orderctx/functions/funchost"
	"orderctx/infra/benchkit"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/gctune"
	"orderctx/queryapi"
)

// devEmulatorAddr is where -emulator serves the embedded store: the official
// emulator's address, so tools configured for it connect unchanged.
// devStatsAddr is where dev serves funchost's GET /debug/stats (the
// consumers' lag and rate, which `orderctx bench` samples).
const (
	devEmulatorAddr = "127.0.0.1:8081"
	devStatsAddr    = "127.0.0.1:8070"
)

// dev runs the whole system in one process on the embedded store: the
// command API (127.0.0.1:8080), the query API (127.0.0.1:8090), every
// change-feed function of the app hosted in process (as funchost does, its
// statistics on 127.0.0.1:8070), the embedded NATS JetStream broker
// (127.0.0.1:4222) and, with -emulator, the store's emulator-compatible
// endpoint on https://localhost:8081.
// COSMOS_ENDPOINT is ignored here: dev never touches a real account.
type dev struct {
	store    cosmosdb.Config
	emulator bool
	// emulatorAddr is where -emulator serves (devEmulatorAddr unless told).
	emulatorAddr  string
	snapshotEvery int64
	batchDelay    time.Duration
	relaxedDelay  time.Duration
	reset         bool
	appRoot       string
	natsListen    string
	statsAddr     string
	command       *commandapi.Main
	query         *queryapi.Main
	consumers     *consumers.Set
	log           *slog.Logger
	cpuProfile    string
	memProfile    string
	closers       []func() error
}

// devSystem is a started system: where its parts listen, and the function
// that runs them until its context ends.
type devSystem struct {
	CommandURL, QueryURL, StatsURL, BusURL string
	Store                                  string
	run                                    func(context.Context) error
}

func newDev() *dev {
	return &dev{store: cosmosdb.Config{Database: "orderctx", DataDir: ".orderctx"}, appRoot: ".",
		natsListen: natsbus.DefaultListen, emulatorAddr: devEmulatorAddr, statsAddr: devStatsAddr, command: commandapi.NewMain(), query: queryapi.NewMain(), log: slog.Default()}
}

func (d *dev) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.StringVar(&d.command.Addr, "addr", d.command.Addr, "listen address of the command API")
	fs.StringVar(&d.query.Addr, "query-addr", d.query.Addr, "listen address of the query API")
	fs.StringVar(&d.natsListen, "nats-listen", d.natsListen, "listen address of the embedded NATS JetStream server")
	fs.StringVar(&d.statsAddr, "funchost-stats-addr", d.statsAddr, "listen address of funchost's GET /debug/stats (empty: off)")
	fs.StringVar(&d.appRoot, "app", d.appRoot, "Functions app root (host.json and the function folders)")
	fs.BoolVar(&d.emulator, "emulator", false, "also serve the embedded store at https://localhost:8081 (the emulator's address and key)")
	fs.StringVar(&d.emulatorAddr, "emulator-addr", d.emulatorAddr, "where -emulator serves the store")
	fs.Int64Var(&d.snapshotEvery, "snapshot-every", 0, "snapshot an order every N events (0: 50)")
	fs.DurationVar(&d.batchDelay, "batch-delay", funchost.DefaultBatchDelay, "each function's wait after a short batch before reading again, so batches gather (negative: none)")
	fs.DurationVar(&d.relaxedDelay, "relaxed-batch-delay", funchost.DefaultRelaxedBatchDelay, "the batch delay of functions whose function.json feedPollDelay is above 1s: the snapshotter, the PostgreSQL copy (negative: -batch-delay)")
	fs.StringVar(&d.store.DataDir, "data", d.store.DataDir, "data directory of the embedded store and the broker")
	fs.BoolVar(&d.store.Memory, "memory", false, "keep everything in memory (nothing survives a restart)")
	fs.BoolVar(&d.reset, "reset", false, "delete the data directory first")
	fs.StringVar(&d.cpuProfile, "cpuprofile", "", "write the process's CPU profile to this file (until it stops)")
	fs.StringVar(&d.memProfile, "memprofile", "", "write the live heap's profile to this file when it stops")
	return fs.Parse(args)
}

func (d *dev) Run(ctx context.Context) error {
	// The embedded store, every consumer and both read models share this
	// heap and allocate per request and per event.
	gctune.ForInMemoryData()
	stopProfile, err := benchkit.CPUProfile(d.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	sys, err := d.start(ctx)
	if err != nil {
		return err
	}
	d.banner(sys)
	err = sys.run(ctx)
	// Written before the store and the read models are closed: what they hold is the point.
	if perr := benchkit.HeapProfile(d.memProfile)(); perr != nil {
		d.log.Warn("dev: heap profile not written", "err", perr)
	}
	return err
}

// start opens the store, builds every component and listens on their
// addresses (port 0 picks a free one); the returned system serves them.
func (d *dev) start(ctx context.Context) (*devSystem, error) {
	if d.reset && !d.store.Memory {
		if err := os.RemoveAll(d.store.DataDir); err != nil {
			return nil, err
		}
	}
	if d.emulator {
		d.store.EmulatorAddr = d.emulatorAddr
	}
	log := d.log
	conn, err := cosmosdb.Open(ctx, d.store, log)
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, conn.Close)
	host, bus, err := d.functions(ctx, conn, log)
	if err != nil {
		return nil, err
	}
	cmd, err := commandapi.NewOnConn(conn, log)
	if err != nil {
		return nil, err
	}
	d.query.Log = log
	if err := d.query.OpenOnConn(conn); err != nil {
		return nil, err
	}
	d.closers = append(d.closers, d.query.Close)
	lns, err := listenAll(d.command.Addr, d.query.Addr, d.statsAddr)
	if err != nil {
		return nil, err
	}
	sys := &devSystem{CommandURL: "http://" + lns[0].Addr().String(), QueryURL: "http://" + lns[1].Addr().String(),
		BusURL: bus.URL, Store: d.describeStore(conn)}
	components := []func(context.Context) error{
		func(ctx context.Context) error { return cmd.Serve(ctx, lns[0]) },
		func(ctx context.Context) error { return d.query.API().RunOn(ctx, lns[1]) },
		host.Run,
	}
	if lns[2] != nil {
		sys.StatsURL = "http://" + lns[2].Addr().String()
		components = append(components, func(ctx context.Context) error { return funchost.ServeStats(ctx, lns[2], host, d.consumers, log) })
	}
	sys.run = func(ctx context.Context) error { return runComponents(ctx, components...) }
	return sys, nil
}

// listenAll listens on each address (nil for an empty one), or on none.
func listenAll(addrs ...string) ([]net.Listener, error) {
	lns := make([]net.Listener, len(addrs))
	for i, a := range addrs {
		if a == "" {
			continue
		}
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns[:i] {
				if l != nil {
					l.Close()
				}
			}
			return nil, err
		}
		lns[i] = ln
	}
	return lns, nil
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
	set, err := consumers.Build(consumers.Config{Conn: conn, Bus: bus, Getenv: os.Getenv, Log: log, SnapshotEvery: d.snapshotEvery,
		LeaseSignals: true})
	if err != nil {
		return nil, nil, err
	}
	d.closers = append(d.closers, set.Close)
	d.consumers = set
	handler, err := functions.NewHandler(app, set.Consumers, functions.Options{Log: log})
	if err != nil {
		return nil, nil, err
	}
	host, err := funchost.New(funchost.Config{App: app, Conn: conn, Handler: handler, Off: set.Off, BatchDelay: d.batchDelay,
		RelaxedBatchDelay: d.relaxedDelay, LeaseAcquired: set.LeaseAcquired, Log: log})
	if err != nil {
		return nil, nil, err
	}
	go funchost.Report(ctx, host, set, 0, log)
	return host, bus, nil
}

// describeStore says where the store is, for the banner.
func (d *dev) describeStore(conn *cosmosdb.Conn) string {
	store := "embedded store in " + d.store.DataDir
	if d.store.Memory {
		store = "embedded store in memory"
	}
	if e := conn.EmulatorEndpoint(); e != "" {
		store += ", also at " + e + " (emulator key)"
	}
	return store
}

// banner prints what runs where and a session to copy.
func (d *dev) banner(sys *devSystem) {
	stats := sys.StatsURL + "/debug/stats"
	if sys.StatsURL == "" {
		stats = "off"
	}
	fmt.Fprintf(os.Stderr, `
orderctx dev
  command API   %[1]s
  query API     %[2]s
  functions     %[6]s
  statistics    %[5]s
  broker        %[3]s  (JetStream stream ORDERS, subjects orders.v1.>)
  store         %[4]s

Try:
  curl -s %[1]s/orders -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' \
    -d '{"orderId":"o-1","buyerId":"b-1","currency":"EUR","shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},"items":[{"productId":"p-1","name":"Pen","quantity":2,"unitPrice":150}]}'
  curl -s '%[2]s/orders/o-1?minVersion=1'
  nats --server %[3]s sub 'orders.v1.>'
  orderctx bench -duration 30s

`, sys.CommandURL, sys.QueryURL, sys.BusURL, sys.Store, stats, d.describeFunctions())
}

// describeFunctions names the functions hosted in process, and those off
// with the reason (the PostgreSQL copy without a database).
func (d *dev) describeFunctions() string {
	names := []string{consumers.ProjectOrders, consumers.PublishIntegrationEvents, consumers.SnapshotOrders, consumers.CopyOrdersToPostgres}
	var on, off []string
	offNow := d.consumerSetOff()
	for _, name := range names {
		if reason, isOff := offNow[name]; isOff {
			off = append(off, name+" off: "+reason)
		} else {
			on = append(on, name)
		}
	}
	out := strings.Join(on, ", ") + " (in process)"
	for _, o := range off {
		out += "\n                " + o
	}
	return out
}

// consumerSetOff is the consumers' functions that are off (none before they are built).
func (d *dev) consumerSetOff() map[string]string {
	if d.consumers == nil {
		return nil
	}
	return d.consumers.Off
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
