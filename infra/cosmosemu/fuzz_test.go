package cosmosemu_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

// FuzzRequestDecoding sends arbitrary bodies and header values to every kind
// of write, query and feed request: the server must never panic or answer 5xx.
func FuzzRequestDecoding(f *testing.F) {
	srv, err := cosmosemu.New(cosmosemu.Config{})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	client := newClient(&testing.T{}, srv.Client(), cosmosemu.EmulatorKey)
	ctx := context.Background()
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil); err != nil {
		f.Fatal(err)
	}
	db, _ := client.NewDatabase("db")
	if _, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c", PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil); err != nil {
		f.Fatal(err)
	}
	seeds := []struct {
		kind      uint8
		body, hdr string
	}{
		{0, `{"id":"a","pk":"p"}`, `["p"]`},
		{1, `[{"operationType":"Create","resourceBody":{"id":"b","pk":"p"}}]`, `["p"]`},
		{2, `{"query":"SELECT * FROM c WHERE c.x = @x","parameters":[{"name":"@x","value":1}]}`, `["p"]`},
		{3, `{"operations":[{"op":"set","path":"/x","value":1}]}`, `["p"]`},
		{4, `{"id":"c2","partitionKey":{"paths":["/pk"]}}`, ``},
		{5, ``, `"12"`},
		{0, `{"id":"a","pk":{"nested":[1,2]}}`, `[{}]`},
		{2, `{"query":"SELECT VALUE COUNT(1) FROM c"}`, `[]`},
	}
	for _, s := range seeds {
		f.Add(s.kind, s.body, s.hdr)
	}
	f.Fuzz(func(t *testing.T, kind uint8, body, hdr string) {
		var method, path string
		headers := map[string]string{"x-ms-documentdb-partitionkey": hdr}
		switch kind % 6 {
		case 0:
			method, path = "POST", "dbs/db/colls/c/docs"
		case 1:
			method, path = "POST", "dbs/db/colls/c/docs"
			headers["x-ms-cosmos-is-batch-request"] = "True"
			headers["x-ms-cosmos-batch-atomic"] = "True"
		case 2:
			method, path = "POST", "dbs/db/colls/c/docs"
			headers["x-ms-documentdb-query"] = "True"
			headers["Content-Type"] = "application/query+json"
			headers["x-ms-documentdb-query-enablecrosspartition"] = "True"
		case 3:
			method, path = "PATCH", "dbs/db/colls/c/docs/a"
		case 4:
			method, path = "POST", "dbs/db/colls"
		case 5:
			method, path = "GET", "dbs/db/colls/c/docs"
			headers["A-IM"] = "Incremental feed"
			headers["If-None-Match"] = hdr
			headers["x-ms-max-item-count"] = body
		}
		resp := rawResp(t, srv, method, path, headers, []byte(body))
		if resp.StatusCode >= 500 || resp.StatusCode == 0 {
			t.Fatalf("%s %s with body %q header %q: status %d", method, path, body, hdr, resp.StatusCode)
		}
		if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("error without a JSON body: %d", resp.StatusCode)
		}
		_ = http.StatusOK
	})
}
