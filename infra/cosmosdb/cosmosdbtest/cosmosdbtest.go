// Package cosmosdbtest opens the stores that adapter tests run against: the
// embedded server in-process, or a real account or emulator when one is
// configured.
package cosmosdbtest

import (
	"context"
	"testing"

	"orderctx/infra/cosmosdb"
)

// Embedded opens an in-memory embedded store whose new containers have
// partitions physical partitions (0: one), closed when the test ends.
func Embedded(tb testing.TB, partitions int) *cosmosdb.Conn {
	tb.Helper()
	return open(tb, cosmosdb.Config{Memory: true, Partitions: partitions})
}

// Durable opens an embedded store that keeps its data on disk (write-ahead
// log with group commit, as `orderctx dev` runs it) in a temporary directory.
func Durable(tb testing.TB) *cosmosdb.Conn {
	tb.Helper()
	return open(tb, cosmosdb.Config{DataDir: tb.TempDir()})
}

func open(tb testing.TB, cfg cosmosdb.Config) *cosmosdb.Conn {
	tb.Helper()
	conn, err := cosmosdb.Open(context.Background(), cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Configured connects to the account or emulator that COSMOS_ENDPOINT names
// (with COSMOS_KEY, or Entra ID), or skips the test when none is set.
func Configured(t *testing.T) *cosmosdb.Conn {
	t.Helper()
	cfg := cosmosdb.ConfigFromEnv()
	if cfg.Endpoint == "" {
		t.Skip("set COSMOS_ENDPOINT (and COSMOS_KEY or an Entra ID login) to run against a real endpoint")
	}
	conn, err := cosmosdb.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
