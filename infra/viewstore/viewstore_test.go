package viewstore_test

import (
	"testing"

	"orderctx/functions/projector"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/viewstore"
	"orderctx/infra/viewstore/memory"
	"orderctx/infra/viewstore/viewstoretest"
)

func TestAcceptanceEmbedded(t *testing.T) {
	t.Parallel()
	viewstoretest.Run(t, func(t *testing.T) projector.Views { return viewstore.New(cosmosdbtest.Embedded(t, 4)) })
}

func TestAcceptanceMemory(t *testing.T) {
	t.Parallel()
	viewstoretest.Run(t, func(t *testing.T) projector.Views { return &memory.Store{} })
}

// TestAcceptanceConfigured runs the suite against a real account or emulator
// when COSMOS_ENDPOINT is set.
func TestAcceptanceConfigured(t *testing.T) {
	conn := cosmosdbtest.Configured(t)
	viewstoretest.Run(t, func(t *testing.T) projector.Views { return viewstore.New(conn) })
}
