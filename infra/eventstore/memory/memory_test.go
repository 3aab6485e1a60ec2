package memory_test

import (
	"testing"

	"orderctx/infra/eventstore/memory"
	"orderctx/infra/eventstore/storetest"
)

// TestAcceptance holds the in-memory store to the contract every real store
// passes, so tests and tools that run on it mean something for the real one.
func TestAcceptance(t *testing.T) {
	t.Parallel()
	store := memory.New(storetest.Registry())
	storetest.Run(t, func(*testing.T) storetest.Stores { return store })
}
