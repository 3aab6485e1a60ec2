package deadletters_test

import (
	"context"
	"testing"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/deadletters"
	"orderctx/infra/deadletters/deadletterstest"
	"orderctx/infra/deadletters/memory"
)

func TestAcceptanceEmbedded(t *testing.T) {
	t.Parallel()
	deadletterstest.Run(t, func(t *testing.T) deadletterstest.Store {
		conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Memory: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return deadletters.New(conn)
	})
}

func TestAcceptanceMemory(t *testing.T) {
	t.Parallel()
	deadletterstest.Run(t, func(t *testing.T) deadletterstest.Store { return &memory.Store{} })
}

// TestAcceptanceConfigured runs the suite against a real account or emulator
// when COSMOS_ENDPOINT is set (with COSMOS_KEY, or Entra ID).
func TestAcceptanceConfigured(t *testing.T) {
	cfg := cosmosdb.ConfigFromEnv()
	if cfg.Endpoint == "" {
		t.Skip("set COSMOS_ENDPOINT (and COSMOS_KEY or an Entra ID login) to run against a real endpoint")
	}
	conn, err := cosmosdb.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadletterstest.Run(t, func(t *testing.T) deadletterstest.Store { return deadletters.New(conn) })
}
