package cosmosdb_test

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// serveTLS starts an in-memory server over HTTPS on a random loopback port
// and returns its endpoint.
func serveTLS(t *testing.T) string {
	t.Helper()
	srv, err := cosmosemu.New(cosmosemu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := cosmosemu.Certificate("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() }) // runs after the listener stops
	return "https://" + cosmostest.ServeLoopback(t, srv, cert) + "/"
}

// TestEmulatorTokenRunsTheKeylessPath opens the store the way it is opened
// in Azure without a key (a token credential), against a local server that
// accepts emulator-minted Microsoft Entra ID tokens: resources are created
// and items written; a token signed with another key is refused.
func TestEmulatorTokenRunsTheKeylessPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	endpoint := serveTLS(t)
	conn, err := cosmosdb.Open(ctx, cosmosdb.Config{Endpoint: endpoint, EmulatorToken: true, InsecureTLS: true}, nil)
	if err != nil {
		t.Fatalf("open with emulator tokens: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	views := conn.Container(cosmosdb.Views)
	if _, err := views.UpsertItem(ctx, azcosmos.NewPartitionKeyString("v1"), []byte(`{"id":"v1"}`), nil); err != nil {
		t.Fatalf("write with emulator tokens: %v", err)
	}

	_, err = cosmosdb.Open(ctx, cosmosdb.Config{Endpoint: endpoint, Key: "c2VjcmV0", EmulatorToken: true, InsecureTLS: true}, nil)
	if cosmosdb.StatusCode(err) != 401 {
		t.Fatalf("a token signed with another key: %v, want 401", err)
	}
}
