package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
)

// runCommandAPI serves the command API. The store comes from the environment
// (COSMOS_ENDPOINT, COSMOS_KEY, COSMOS_DATABASE, ORDERCTX_DATA); flags
// override it. Without an endpoint it runs on the embedded store in-process,
// with its data under ./.orderctx.
func runCommandAPI(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("commandapi", flag.ContinueOnError)
	addr := fs.String("addr", commandapi.DefaultAddr, "listen address of the HTTP API (loopback by default)")
	cfg := cosmosdb.ConfigFromEnv()
	storeFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.Default()
	side, err := openCommandSide(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer side.Close()
	return side.api.Run(ctx, *addr)
}

// storeFlags binds the store settings to flags, with the environment's values
// as defaults. The account key has no flag on purpose: a key on the command
// line is visible to every user of the machine (ps, shell history); it comes
// from COSMOS_KEY or, when absent, Microsoft Entra ID.
func storeFlags(fs *flag.FlagSet, cfg *cosmosdb.Config) {
	if cfg.DataDir == "" {
		cfg.DataDir = ".orderctx"
	}
	if cfg.Database == "" {
		cfg.Database = "orderctx"
	}
	fs.StringVar(&cfg.Endpoint, "cosmos-endpoint", cfg.Endpoint, "Cosmos DB account endpoint (COSMOS_ENDPOINT); empty runs the embedded store in-process")
	fs.StringVar(&cfg.Database, "cosmos-database", cfg.Database, "database name (COSMOS_DATABASE)")
	fs.BoolVar(&cfg.SkipCreate, "cosmos-skip-create", cfg.SkipCreate, "do not create the database and containers (COSMOS_SKIP_CREATE=true)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory of the embedded store (ORDERCTX_DATA)")
	fs.BoolVar(&cfg.Memory, "memory", cfg.Memory, "keep the embedded store in memory only (nothing survives a restart)")
}

// commandSide is the command API wired to its event store.
type commandSide struct {
	conn *cosmosdb.Conn
	api  *commandapi.API
}

// openCommandSide connects to the store and builds the command API on it.
func openCommandSide(ctx context.Context, cfg cosmosdb.Config, log *slog.Logger) (*commandSide, error) {
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		return nil, fmt.Errorf("register order events: %w", err)
	}
	conn, err := cosmosdb.Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	store := eventstore.New(conn, reg)
	// Snapshots are never upcast: a snapshot of another shape is ignored and
	// the stream replayed, which always rebuilds the right state.
	store.AcceptSnapshots(func(s es.Snapshot) bool {
		return s.AggregateType == order.SnapshotType && s.SchemaVersion == order.SnapshotSchemaVersion
	})
	service := orderapp.NewService(store, reg, es.SystemClock{}, store.Ready)
	where := "embedded store in " + cfg.DataDir
	switch {
	case cfg.Endpoint != "":
		where = cfg.Endpoint
	case cfg.Memory:
		where = "embedded store in memory"
	}
	log.Info("command side connected", "store", where, "database", conn.Database)
	return &commandSide{conn: conn, api: commandapi.New(service, log, commandapi.Options{})}, nil
}

// Close closes the store connection (and stops the embedded store).
func (s *commandSide) Close() error {
	if s == nil || s.conn == nil {
		return nil
	}
	return s.conn.Close()
}
