package cosmosemu_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/epk"
)

// TestChangeFeedEPKSubRange: a change feed request narrowed with
// x-ms-start-epk / x-ms-end-epk (the JavaScript SDK's feed range narrower than
// its physical range) returns only the logical partitions inside it.
func TestChangeFeedEPKSubRange(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "cf")
	ctx := context.Background()
	epks := map[string]string{}
	for _, pk := range []string{"a", "b", "c", "d"} {
		if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(pk), []byte(`{"id":"1","pk":"`+pk+`"}`), nil); err != nil {
			t.Fatal(err)
		}
		e, err := epk.Compute([]any{pk}, 2)
		if err != nil {
			t.Fatal(err)
		}
		epks[pk] = e
	}
	// The sub-range from the lowest EPK up to (not including) the highest.
	lo, hi := "", ""
	for _, e := range epks {
		if lo == "" || epk.Compare(e, lo) < 0 {
			lo = e
		}
		if epk.Compare(e, hi) > 0 {
			hi = e
		}
	}
	resp := rawResp(t, srv, http.MethodGet, "dbs/db/colls/cf/docs", map[string]string{
		"A-IM": "Incremental feed", "x-ms-documentdb-partitionkeyrangeid": "0",
		"x-ms-start-epk": lo, "x-ms-end-epk": hi,
	}, nil)
	defer resp.Body.Close()
	var page struct{ Documents []struct{ PK string } }
	if err := jsonDecode(resp.Body, &page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if len(page.Documents) != 3 {
		t.Fatalf("%d changes in the sub-range, want 3", len(page.Documents))
	}
	for _, d := range page.Documents {
		if epks[d.PK] == hi {
			t.Errorf("partition %q at the exclusive end was returned", d.PK)
		}
	}
}
