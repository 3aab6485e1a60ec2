package cosmosemu_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// TestEveryResponseCarriesCosmosHeaders checks successes, errors and 304s alike.
func TestEveryResponseCarriesCosmosHeaders(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "h")
	if _, err := c.CreateItem(context.Background(), azcosmos.NewPartitionKeyString("p"), cosmostest.Item("a", "p", nil), nil); err != nil {
		t.Fatal(err)
	}
	pk := map[string]string{"x-ms-documentdb-partitionkey": `["p"]`}
	cases := []struct {
		name, method, path string
		headers            map[string]string
		body               string
		status             int
	}{
		{"account", "GET", "", nil, "", 200},
		{"list databases", "GET", "dbs", nil, "", 200},
		{"read item", "GET", "dbs/db/colls/h/docs/a", pk, "", 200},
		{"missing item", "GET", "dbs/db/colls/h/docs/zz", pk, "", 404},
		{"conflict", "POST", "dbs/db/colls/h/docs", pk, `{"id":"a","pk":"p"}`, 409},
		{"bad body", "POST", "dbs/db/colls/h/docs", pk, `{`, 400},
		{"query", "POST", "dbs/db/colls/h/docs", map[string]string{"x-ms-documentdb-partitionkey": `["p"]`, "x-ms-documentdb-query": "True", "Content-Type": "application/query+json"}, `{"query":"SELECT * FROM c"}`, 200},
		{"change feed with nothing new", "GET", "dbs/db/colls/h/docs", map[string]string{"A-IM": "Incremental feed", "If-None-Match": "*"}, "", 304},
		{"batch", "POST", "dbs/db/colls/h/docs", map[string]string{"x-ms-documentdb-partitionkey": `["p"]`, "x-ms-cosmos-is-batch-request": "True", "x-ms-cosmos-batch-atomic": "True"}, `[{"operationType":"Read","id":"a"}]`, 200},
		{"missing container", "GET", "dbs/db/colls/nope", nil, "", 404},
		// rawResp signs with the emulator key; this replaces the signature
		// with one made with another key.
		{"bad signature", "GET", "dbs", map[string]string{"Authorization": sign("dGhpcyBpcyBub3QgdGhlIGtleQ==", "GET", "dbs", time.Now().UTC().Format(http.TimeFormat))}, "", 401},
		{"no authorization", "GET", "dbs", map[string]string{"Authorization": ""}, "", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			resp := rawResp(t, srv, tc.method, tc.path, tc.headers, body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			charge, err := strconv.ParseFloat(resp.Header.Get("x-ms-request-charge"), 64)
			if err != nil || charge <= 0 {
				t.Errorf("x-ms-request-charge %q", resp.Header.Get("x-ms-request-charge"))
			}
			for _, h := range []string{"x-ms-activity-id", "x-ms-session-token"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("%s missing", h)
				}
			}
			if tc.status >= 400 {
				var e map[string]any
				if err := jsonDecode(resp.Body, &e); err != nil || e["code"] == nil || e["message"] == nil {
					t.Errorf("error body is not {code, message}: %v %v", e, err)
				}
				if tc.status == http.StatusUnauthorized && e["code"] != "Unauthorized" {
					t.Errorf("401 error code %v, want Unauthorized", e["code"])
				}
			}
		})
	}
}

func TestFaultRate(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "rate")
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(context.Background(), pk, cosmostest.Item("a", "p", nil), nil); err != nil {
		t.Fatal(err)
	}
	srv.Faults().Add(cosmosemu.Fault{Method: "GET", PathContains: "/docs/a", Status: 429, Rate: 0.5})
	const reads = 200
	failed := 0
	for i := 0; i < reads; i++ {
		resp := rawResp(t, srv, "GET", "dbs/db/colls/rate/docs/a", map[string]string{"x-ms-documentdb-partitionkey": `["p"]`}, nil)
		if resp.StatusCode == 429 {
			failed++
			if resp.Header.Get("x-ms-retry-after-ms") == "" {
				t.Fatal("429 without x-ms-retry-after-ms")
			}
		}
	}
	// Binomial(200, 0.5): outside [50, 150] has a probability below 1e-12.
	if failed < 50 || failed > 150 || srv.Faults().Fired() != failed {
		t.Fatalf("%d of %d reads failed (fired %d) at rate 0.5", failed, reads, srv.Faults().Fired())
	}
}
