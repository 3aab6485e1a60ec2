package cosmosemu_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// TestConformance runs the conformance suite against a fresh embedded
// server, in process.
func TestConformance(t *testing.T) {
	t.Parallel()
	_, client := newServer(t, cosmosemu.Config{})
	cosmostest.Run(t, client, cosmostest.Options{Partitioned: cosmostest.EmbeddedPartitions(4)})
}

// TestConformanceOfConfiguredEndpoint runs the conformance suite against the
// Cosmos DB Emulator or account that COSMOS_ENDPOINT and COSMOS_KEY name,
// so the embedded server's claims can be checked against the real service.
// COSMOS_TEST_PARTITIONED_RU (e.g. 40000) lets the tests that need several
// physical partitions create containers with that much throughput;
// COSMOS_TEST_PREFIX starts the names of the databases it creates.
func TestConformanceOfConfiguredEndpoint(t *testing.T) {
	cfg := cosmosdb.ConfigFromEnv()
	if cfg.Endpoint == "" || cfg.Key == "" {
		t.Skip("set COSMOS_ENDPOINT and COSMOS_KEY to run the conformance suite against the Cosmos DB Emulator " +
			"(https://localhost:8081/ and its well-known key) or an account; docs/cosmos-server.md")
	}
	opts := cosmostest.Options{DatabasePrefix: os.Getenv("COSMOS_TEST_PREFIX")}
	if v := os.Getenv("COSMOS_TEST_PARTITIONED_RU"); v != "" {
		ru, err := strconv.ParseInt(v, 10, 32)
		if err != nil || ru < 400 {
			t.Fatalf("COSMOS_TEST_PARTITIONED_RU=%q: want RU/s, at least 400", v)
		}
		opts.Partitioned = cosmostest.Throughput(int32(ru))
	}
	// The suite creates its own databases; the emulator's self-signed
	// certificate is accepted at localhost:8081, as cosmosdb.Open does.
	cfg.SkipCreate = true
	conn, err := cosmosdb.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	cosmostest.Run(t, conn.Client, opts)
}
