package cosmosemu_test

import (
	"net/http"
	"testing"

	"orderctx/infra/cosmosemu"
)

// TestUnsupportedResourcesAnswer400: resources Cosmos DB has and the server
// does not are refused with 400 naming them, not 404 (which SDKs read as
// "missing" and may create).
func TestUnsupportedResourcesAnswer400(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	newContainer(t, client, "c")
	for _, path := range []string{"dbs/db/users", "dbs/db/users/u", "dbs/db/colls/c/sprocs", "dbs/db/colls/c/triggers", "dbs/db/colls/c/udfs"} {
		if got := rawDo(t, srv, http.MethodPost, path, nil, []byte(`{"id":"x"}`)); got != http.StatusBadRequest {
			t.Errorf("POST %s: %d, want 400", path, got)
		}
	}
	if got := rawDo(t, srv, http.MethodPost, "", nil, nil); got != http.StatusNotFound {
		t.Errorf("POST /: %d, want 404", got)
	}
}
