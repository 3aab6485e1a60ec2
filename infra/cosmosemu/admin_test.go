package cosmosemu_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "ctl")
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(ctx, pk, cosmostest.Item("a", "p", nil), nil); err != nil {
		t.Fatal(err)
	}

	resp := rawResp(t, srv, "POST", "_emulator/split", nil, []byte(`{"database":"db","container":"ctl","range":"0"}`))
	var out struct{ Children []string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Children) != 2 {
		t.Fatalf("split: status %d, %+v", resp.StatusCode, out)
	}
	if ranges, err := c.ReadFeedRanges(ctx, nil); err != nil || len(ranges) != 2 {
		t.Fatalf("after split: %v %v", ranges, err)
	}
	if got := rawDo(t, srv, "POST", "_emulator/split", nil, []byte(`{"database":"db","container":"ctl","range":"0"}`)); got != 404 {
		t.Fatalf("splitting a gone range: %d", got)
	}
	if got := rawDo(t, srv, "POST", "_emulator/split", nil, []byte(`{}`)); got != 400 {
		t.Fatalf("split without names: %d", got)
	}

	if got := rawDo(t, srv, "POST", "_emulator/faults", nil, []byte(`{"method":"GET","pathContains":"/docs/a","status":503,"count":1}`)); got != 204 {
		t.Fatalf("add fault: %d", got)
	}
	if got := rawDo(t, srv, "GET", "dbs/db/colls/ctl/docs/a", map[string]string{"x-ms-documentdb-partitionkey": `["p"]`}, nil); got != 503 {
		t.Fatalf("read with the fault: %d", got)
	}
	if got := rawDo(t, srv, "POST", "_emulator/faults", nil, []byte(`{"status":503}`)); got != 204 {
		t.Fatalf("add fault: %d", got)
	}
	if got := rawDo(t, srv, "DELETE", "_emulator/faults", nil, nil); got != 204 {
		t.Fatalf("clear faults: %d", got)
	}
	if got := rawDo(t, srv, "GET", "dbs/db/colls/ctl/docs/a", map[string]string{"x-ms-documentdb-partitionkey": `["p"]`}, nil); got != 200 {
		t.Fatalf("read after clearing: %d", got)
	}
	if got := rawDo(t, srv, "POST", "_emulator/faults", nil, []byte(`{"rate":2}`)); got != 400 {
		t.Fatalf("bad fault: %d", got)
	}
}
