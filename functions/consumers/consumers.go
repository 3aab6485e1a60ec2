// Package consumers builds this app's change-feed functions over one store
// connection and one message bus: the projector (ProjectOrders, writing to
// the active views container), the integration publisher
// (PublishIntegrationEvents), the snapshotter (SnapshotOrders) and the
// PostgreSQL copy (CopyOrdersToPostgres, idle without a database), each
// behind the parking wrapper. Both `orderctx
// functions` (the custom handler in Azure) and `orderctx funchost` (the
// Functions host's part everywhere else) run exactly these consumers.
package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions"
	"orderctx/functions/parking"
	"orderctx/functions/pgcopy"
	"orderctx/functions/projector"
	"orderctx/functions/publisher"
	"orderctx/functions/snapshotter"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/bus/servicebus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/deadletters"
	"orderctx/infra/eventstore"
	"orderctx/infra/pgviews"
	"orderctx/infra/viewpointer"
	"orderctx/infra/viewstore"
)

// Function names: the function folders at the app root, which are also the
// custom handler's routes. They must match the folders exactly.
const (
	ProjectOrders            = "ProjectOrders"
	PublishIntegrationEvents = "PublishIntegrationEvents"
	SnapshotOrders           = "SnapshotOrders"
	CopyOrdersToPostgres     = "CopyOrdersToPostgres"
)

// Config wires the consumers.
type Config struct {
	Conn *cosmosdb.Conn
	Bus  publisher.Bus
	// SnapshotEvery is the snapshot policy (0: snapshotter.DefaultEvery).
	SnapshotEvery int64
	// PostgresDSN names the database of the PostgreSQL copy; empty: the
	// setting pgcopy.EnvDSN (read through Getenv, default os.Getenv), and
	// without either the copy is disabled.
	PostgresDSN string
	Getenv      func(string) string
	Log         *slog.Logger
	// LeaseSignals says that the host calls Set.LeaseAcquired for every
	// lease it acquires (funchost in process). The consumers then remember
	// that nothing of theirs is parked and skip the per-batch dead-letter
	// lookup (parking.Config.RememberVacancy). Leave it false where the
	// leases are someone else's (the custom handler under the Functions host).
	LeaseSignals bool
}

// Set is the built consumers, by function name, and what they report.
type Set struct {
	Consumers map[string]functions.Consumer
	// Off names the functions whose consumer does nothing in this
	// configuration, with the reason (CopyOrdersToPostgres without a
	// database). Their consumer stays in Consumers (a custom handler in Azure
	// still answers their invocations); a host that runs the triggers itself
	// need not run a change-feed processor for them (funchost.Config.Off).
	Off     map[string]string
	parked  map[string]*parking.Consumer
	closers []func()
}

// Close releases what the consumers hold (the PostgreSQL connections).
func (s *Set) Close() error {
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
	return nil
}

// Parked returns how many events each consumer has parked since it started.
func (s *Set) Parked() map[string]int64 {
	out := make(map[string]int64, len(s.parked))
	for name, c := range s.parked {
		out[name] = c.Parked()
	}
	return out
}

// LeaseAcquired tells the function's consumer that the host acquired one of
// its leases (a no-op without Config.LeaseSignals, or for a function that
// parks nothing).
func (s *Set) LeaseAcquired(function string) {
	if c := s.parked[function]; c != nil {
		c.LeaseAcquired()
	}
}

// Build returns the four consumers over cfg's connection and bus.
func Build(cfg Config) (*Set, error) {
	if cfg.Conn == nil || cfg.Bus == nil {
		return nil, errors.New("consumers: a store connection and a bus are required")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg, err := order.NewRegistry()
	if err != nil {
		return nil, err
	}
	letters := deadletters.New(cfg.Conn)
	views := viewstore.NewRouted(cfg.Conn, viewpointer.New(cfg.Conn), 0, log.With("consumer", projector.Name))
	// The consumers get the same event documents: one decodes each, the
	// others take its envelope.
	decoded := parking.NewDecodedCache(0)
	projHandler, err := projector.New(projector.Config{Views: views, Log: log.With("consumer", projector.Name)})
	if err != nil {
		return nil, err
	}
	proj, err := parking.New(parking.Config{Consumer: projector.Name, Registry: reg, Store: letters, Handler: projHandler,
		Log: log.With("consumer", projector.Name), Decoded: decoded, RememberVacancy: cfg.LeaseSignals})
	if err != nil {
		return nil, err
	}
	// The snapshotter loads orders as the write side does, from their
	// latest snapshot; the publisher folds each order only up to the event it
	// maps, so its history must never start at a later snapshot.
	loader := eventstore.New(cfg.Conn, reg)
	loader.AcceptSnapshots(order.AcceptsSnapshot)
	snapHandler, err := snapshotter.New(snapshotter.Config{Events: loader, Snapshots: loader,
		Policy: snapshotter.Policy{Every: cfg.SnapshotEvery}, Log: log.With("consumer", snapshotter.Name)})
	if err != nil {
		return nil, err
	}
	snap, err := parking.New(parking.Config{Consumer: snapshotter.Name, Registry: reg, Store: letters, Handler: snapHandler,
		Log: log.With("consumer", snapshotter.Name), Decoded: decoded, RememberVacancy: cfg.LeaseSignals})
	if err != nil {
		return nil, err
	}
	history := eventstore.New(cfg.Conn, reg)
	history.AcceptSnapshots(func(es.Snapshot) bool { return false })
	pubHandler, err := publisher.New(cfg.Bus, history, publisher.Options{})
	if err != nil {
		return nil, err
	}
	pub, err := parking.New(parking.Config{Consumer: publisher.Name, Registry: reg, Store: letters,
		Handler: publishAndPark(pubHandler), Log: log.With("consumer", publisher.Name), Decoded: decoded,
		RememberVacancy: cfg.LeaseSignals})
	if err != nil {
		return nil, err
	}
	set := &Set{
		Consumers: map[string]functions.Consumer{ProjectOrders: proj, PublishIntegrationEvents: pub, SnapshotOrders: snap},
		parked:    map[string]*parking.Consumer{ProjectOrders: proj, PublishIntegrationEvents: pub, SnapshotOrders: snap},
		Off:       map[string]string{},
	}
	if err := set.addPostgres(cfg, reg, letters, log.With("consumer", pgcopy.Name)); err != nil {
		return nil, err
	}
	return set, nil
}

// addPostgres adds the PostgreSQL copy: writing to the configured database,
// or disabled (passing events by) without one.
func (s *Set) addPostgres(cfg Config, reg *es.Registry, letters parking.Store, log *slog.Logger) error {
	dsn := cfg.PostgresDSN
	if dsn == "" {
		getenv := cfg.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		dsn = getenv(pgcopy.EnvDSN)
	}
	if dsn == "" {
		s.Consumers[CopyOrdersToPostgres] = pgcopy.Disabled(log)
		s.Off[CopyOrdersToPostgres] = "the PostgreSQL copy is not configured (" + pgcopy.EnvDSN + " is not set)"
		return nil
	}
	store, err := pgviews.Open(dsn)
	if err != nil {
		return err
	}
	c, err := pgcopy.NewConsumer(store, reg, letters, log)
	if err != nil {
		store.Close()
		return err
	}
	s.Consumers[CopyOrdersToPostgres], s.parked[CopyOrdersToPostgres] = c, c
	s.closers = append(s.closers, store.Close)
	return nil
}

// publishAndPark adapts the publisher to the parking wrapper: an event that
// can never be mapped becomes a poison error, which parks it and the rest of
// its order's stream; every other error stays transient.
func publishAndPark(h *publisher.Handler) parking.HandlerFunc {
	return func(ctx context.Context, events []es.Envelope) (functions.Result, error) {
		err := h.Handle(ctx, events)
		var unmappable *publisher.UnmappableError
		if errors.As(err, &unmappable) && unmappable.Index >= 0 && unmappable.Index < len(events) {
			return functions.Result{}, parking.Poison(events[unmappable.Index], err)
		}
		if err != nil {
			return functions.Result{}, err
		}
		return functions.Result{Logs: []string{fmt.Sprintf("published %d events", len(events))}}, nil
	}
}

// BusConfig chooses where integration events go: Azure Service Bus when the
// environment names a namespace or connection string (SERVICEBUS_*), else
// NATS JetStream: the server at NATS_URL, or an embedded one whose stream
// lives under dataDir/nats (in memory with memory set).
type BusConfig struct {
	Getenv  func(string) string
	DataDir string
	Memory  bool
	// Listen is the embedded NATS server's address (natsbus.DefaultListen).
	Listen string
	Log    *slog.Logger
}

// Bus is an open bus and what closes it; URL says where subscribers connect.
type Bus struct {
	publisher.Bus
	URL   string
	close func() error
}

// Close closes the bus (and stops an embedded NATS server).
func (b *Bus) Close() error { return b.close() }

// OpenBus opens the bus cfg chooses.
func OpenBus(ctx context.Context, cfg BusConfig) (*Bus, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if sb := servicebus.FromEnv(getenv); sb.Configured() {
		sender, err := servicebus.Open(sb)
		if err != nil {
			return nil, err
		}
		return &Bus{Bus: sender, URL: "servicebus:" + sb.Namespace + "/" + sb.Topic,
			close: func() error { return sender.Close(context.Background()) }}, nil
	}
	nc := natsbus.FromEnv(getenv)
	if nc.URL == "" {
		nc.DataDir, nc.Memory, nc.Listen = filepath.Join(cfg.DataDir, "nats"), cfg.Memory, cfg.Listen
		if cfg.Log != nil {
			// The broker's start-up banner and connection chatter are Info;
			// its warnings and errors are what an operator needs here.
			nc.Logger = slog.New(atLeast{cfg.Log.Handler(), slog.LevelWarn})
		}
	}
	bus, err := natsbus.Open(ctx, nc)
	if err != nil {
		return nil, err
	}
	return &Bus{Bus: bus, URL: bus.URL(), close: bus.Close}, nil
}

// atLeast passes on only records at or above a level.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(attrs []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(attrs), h.min}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{h.Handler.WithGroup(name), h.min}
}
