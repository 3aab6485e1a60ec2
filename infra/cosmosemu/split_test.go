package cosmosemu_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// TestChangeFeedOrderAcrossSplit splits a range (a control of this server)
// while a consumer reads: per partition key order holds across the split,
// and the old range id answers 410 with the split sub-status.
func TestChangeFeedOrderAcrossSplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "split")
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	write := func(round int) {
		for _, k := range keys {
			if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(k), cosmostest.Item(fmt.Sprint(k, round), k, map[string]any{"seq": round}), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0)
	write(1)
	first, cont := cosmostest.ReadFeed(t, c, nil)
	write(2)
	children, err := srv.SplitRange("db", "split", "0")
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	write(3)
	rest, _ := cosmostest.ReadFeed(t, c, &cont)
	all := append(first, rest...)
	if len(all) != 4*len(keys) {
		t.Fatalf("after split: %d items, want %d", len(all), 4*len(keys))
	}
	last := map[string]float64{}
	for _, it := range all {
		k := it["pk"].(string)
		if seq := it["seq"].(float64); seq < last[k] {
			t.Fatalf("partition %s out of order: %v after %v", k, seq, last[k])
		}
		last[k] = it["seq"].(float64)
	}
	ranges, err := c.ReadFeedRanges(ctx, nil)
	if err != nil || len(ranges) != 2 {
		t.Fatalf("feed ranges after split %v: %v %v", children, ranges, err)
	}
	// The old range id now answers 410 with the split sub-status.
	resp := rawResp(t, srv, "GET", "dbs/db/colls/split/docs", map[string]string{
		"A-IM": "Incremental feed", "x-ms-documentdb-partitionkeyrangeid": "0"}, nil)
	if resp.StatusCode != 410 || resp.Header.Get("x-ms-substatus") != "1002" {
		t.Fatalf("gone range: %d %s", resp.StatusCode, resp.Header.Get("x-ms-substatus"))
	}
}
