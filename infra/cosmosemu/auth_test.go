package cosmosemu_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

func TestAuthorization(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, cosmosemu.Config{})
	wrong := newClient(t, srv.Client(), "dGhpcyBpcyBub3QgdGhlIGtleQ==")
	_, err := wrong.CreateDatabase(context.Background(), azcosmos.DatabaseProperties{ID: "x"}, nil)
	if cosmostest.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong key: want 401, got %v", err)
	}
	if status := rawResp(t, srv, "GET", "dbs", map[string]string{"Authorization": ""}, nil).StatusCode; status != 401 {
		t.Fatalf("no authorization header: want 401, got %d", status)
	}
	if status := rawDo(t, srv, "GET", "dbs", nil, nil); status != 200 {
		t.Fatalf("signed request: want 200, got %d", status)
	}
}
