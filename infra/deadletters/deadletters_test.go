package deadletters_test

import (
	"testing"

	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/deadletters"
	"orderctx/infra/deadletters/deadletterstest"
	"orderctx/infra/deadletters/memory"
)

func TestAcceptanceEmbedded(t *testing.T) {
	t.Parallel()
	deadletterstest.Run(t, func(t *testing.T) deadletterstest.Store { return deadletters.New(cosmosdbtest.Embedded(t, 0)) })
}

func TestAcceptanceMemory(t *testing.T) {
	t.Parallel()
	deadletterstest.Run(t, func(t *testing.T) deadletterstest.Store { return &memory.Store{} })
}

// TestAcceptanceConfigured runs the suite against a real account or emulator
// when COSMOS_ENDPOINT is set.
func TestAcceptanceConfigured(t *testing.T) {
	conn := cosmosdbtest.Configured(t)
	deadletterstest.Run(t, func(t *testing.T) deadletterstest.Store { return deadletters.New(conn) })
}
