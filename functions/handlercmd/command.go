// Package handlercmd is the `orderctx functions` command: the custom handler
// process that the Azure Functions host starts (host.json's customHandler),
// serving this app's consumers on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.
// It connects to the store the trigger's connection setting names and to the
// bus the environment chooses (Service Bus in Azure, NATS elsewhere).
package handlercmd

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"

	"orderctx/functions"
	"orderctx/functions/consumers"
	"orderctx/functions/funcapp"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
)

// Main is the command.
type Main struct {
	AppRoot       string
	Store         cosmosdb.Config
	NATSListen    string
	SnapshotEvery int64
	Getenv        func(string) string
	Log           *slog.Logger

	closers []func() error
}

// NewMain returns the command with its defaults.
func NewMain() *Main {
	return &Main{AppRoot: funcapp.RootFromEnv(os.Getenv), Store: cosmosdb.ConfigFromEnv(), NATSListen: natsbus.DefaultListen,
		Getenv: os.Getenv, Log: slog.Default()}
}

// ParseFlags reads the command line (the host passes none).
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("functions", flag.ContinueOnError)
	fs.StringVar(&m.AppRoot, "app", m.AppRoot, "Functions app root: host.json and one folder per function")
	fs.StringVar(&m.NATSListen, "nats-listen", m.NATSListen, "address of the embedded NATS server (when NATS_URL and SERVICEBUS_* are not set)")
	fs.Int64Var(&m.SnapshotEvery, "snapshot-every", 0, "snapshot an order every N events (0: 50)")
	m.Store.RegisterFlags(fs)
	return fs.Parse(args)
}

// Run serves the handler until ctx ends.
func (m *Main) Run(ctx context.Context) error {
	app, err := funcapp.Load(m.AppRoot, m.Getenv)
	if err != nil {
		return err
	}
	cfg := m.Store
	if len(app.Functions) > 0 {
		fromSetting, err := app.Functions[0].Trigger.ConnectionConfig(m.Getenv)
		switch {
		case err == nil:
			fromSetting.DataDir = cfg.DataDir
			cfg = fromSetting
		case !errors.Is(err, funcapp.ErrNoConnection):
			return err
		}
	}
	conn, err := cosmosdb.Open(ctx, cfg, m.Log)
	if err != nil {
		return err
	}
	m.closers = append(m.closers, conn.Close)
	bus, err := consumers.OpenBus(ctx, consumers.BusConfig{Getenv: m.Getenv, DataDir: cfg.DataDir, Memory: cfg.Memory, Listen: m.NATSListen, Log: m.Log})
	if err != nil {
		return err
	}
	m.closers = append(m.closers, bus.Close)
	set, err := consumers.Build(consumers.Config{Conn: conn, Bus: bus, SnapshotEvery: m.SnapshotEvery, Getenv: m.Getenv, Log: m.Log})
	if err != nil {
		return err
	}
	m.closers = append(m.closers, set.Close)
	handler, err := functions.NewMain(app, set.Consumers, functions.MainOptions{Options: functions.Options{Log: m.Log}, Getenv: m.Getenv})
	if err != nil {
		return err
	}
	m.closers = append(m.closers, handler.Close)
	m.Log.Info("custom handler ready", "store", cfg.Describe(), "bus", bus.URL)
	return handler.Run(ctx)
}

// Close closes the handler, the bus and the store connection.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}
