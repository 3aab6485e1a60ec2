package cosmosemu_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

func azcosmosETag(s string) azcore.ETag { return azcore.ETag(s) }

// drainFeed reads a container's whole change feed from the beginning.
func drainFeed(t *testing.T, c *azcosmos.ContainerClient) []map[string]any {
	t.Helper()
	items, _ := readFeedFrom(t, c, nil)
	return items
}

// readFeedFrom reads all pages from a continuation (nil: from the beginning of
// every feed range) until a page comes back empty, returning the next continuation.
func readFeedFrom(t *testing.T, c *azcosmos.ContainerClient, cont *string) ([]map[string]any, string) {
	t.Helper()
	ctx := context.Background()
	var out []map[string]any
	opts := &azcosmos.ChangeFeedOptions{MaxItemCount: 7}
	if cont != nil {
		opts.Continuation = cont
	} else {
		ranges, err := c.ReadFeedRanges(ctx, nil)
		if err != nil {
			t.Fatalf("feed ranges: %v", err)
		}
		opts.FeedRange = &azcosmos.FeedRange{MinInclusive: ranges[0].MinInclusive, MaxExclusive: ranges[len(ranges)-1].MaxExclusive}
	}
	for i := 0; i < 10000; i++ {
		resp, err := c.ReadChangeFeed(ctx, opts)
		if err != nil {
			t.Fatalf("read change feed: %v", err)
		}
		for _, it := range resp.Items {
			out = append(out, decode(t, it))
		}
		token := resp.ContinuationToken
		opts = &azcosmos.ChangeFeedOptions{MaxItemCount: 7, Continuation: &token}
		if len(resp.Items) == 0 {
			return out, token
		}
	}
	t.Fatal("change feed did not end")
	return nil, ""
}

func TestChangeFeedContinuation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "feed")
	pk := azcosmos.NewPartitionKeyString("s")
	for i := 0; i < 20; i++ {
		if _, err := c.CreateItem(ctx, pk, item(fmt.Sprint(i), "s", map[string]any{"n": i}), nil); err != nil {
			t.Fatal(err)
		}
	}
	first, cont := readFeedFrom(t, c, nil)
	if len(first) != 20 {
		t.Fatalf("first drain: %d items, want 20", len(first))
	}
	for i, it := range first {
		if it["n"] != float64(i) {
			t.Fatalf("feed out of order at %d: %v", i, it)
		}
	}
	// Nothing new: the continuation answers an empty page (304 underneath).
	again, cont := readFeedFrom(t, c, &cont)
	if len(again) != 0 {
		t.Fatalf("no changes, yet %d items", len(again))
	}
	// Change one old item twice and add one: each appears once, latest version, in order of last change.
	if _, err := c.UpsertItem(ctx, pk, item("3", "s", map[string]any{"n": 300}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateItem(ctx, pk, item("new", "s", map[string]any{"n": 21}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpsertItem(ctx, pk, item("3", "s", map[string]any{"n": 301}), nil); err != nil {
		t.Fatal(err)
	}
	next, _ := readFeedFrom(t, c, &cont)
	if len(next) != 2 || next[0]["id"] != "new" || next[1]["id"] != "3" || next[1]["n"] != float64(301) {
		t.Fatalf("changes after continuation: %v", next)
	}
	// From the beginning, the item changed twice appears once, after the last change.
	all := drainFeed(t, c)
	if len(all) != 21 || all[20]["id"] != "3" {
		t.Fatalf("full feed: %d items, last %v", len(all), all[len(all)-1])
	}
}

func TestChangeFeedStartFromTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "fromtime")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, item("a", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	ranges, _ := c.ReadFeedRanges(ctx, nil)
	future := now.Add(time.Hour)
	resp, err := c.ReadChangeFeed(ctx, &azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], StartFrom: &future})
	if err != nil || len(resp.Items) != 0 {
		t.Fatalf("from a future time: %v, %d items", err, len(resp.Items))
	}
	past := now.Add(-time.Hour)
	resp, err = c.ReadChangeFeed(ctx, &azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], StartFrom: &past})
	if err != nil || len(resp.Items) != 1 {
		t.Fatalf("from the past: %v, %d items", err, len(resp.Items))
	}
}

func TestChangeFeedFromNow(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "fromnow")
	ctx := context.Background()
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, item("old", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	// If-None-Match: * starts at the current end of the feed.
	resp := rawResp(t, srv, "GET", "dbs/db/colls/fromnow/docs", map[string]string{
		"A-IM": "Incremental feed", "If-None-Match": "*", "x-ms-documentdb-partitionkeyrangeid": "0"}, nil)
	if resp.StatusCode != 304 || resp.Header.Get("etag") == "" {
		t.Fatalf("from now: status %d etag %q", resp.StatusCode, resp.Header.Get("etag"))
	}
	etag := resp.Header.Get("etag")
	if _, err := c.CreateItem(ctx, pk, item("new", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	resp = rawResp(t, srv, "GET", "dbs/db/colls/fromnow/docs", map[string]string{
		"A-IM": "Incremental feed", "If-None-Match": etag, "x-ms-documentdb-partitionkeyrangeid": "0"}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("after a change: status %d", resp.StatusCode)
	}
}

func TestChangeFeedOrderAcrossSplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "split")
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	write := func(round int) {
		for _, k := range keys {
			if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(k), item(fmt.Sprint(k, round), k, map[string]any{"seq": round}), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0)
	write(1)
	first, cont := readFeedFrom(t, c, nil)
	write(2)
	children, err := srv.SplitRange("db", "split", "0")
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	write(3)
	rest, _ := readFeedFrom(t, c, &cont)
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

func TestFeedRangesMatchSDKRouting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{DefaultPartitions: 4})
	c := newContainer(t, client, "ranges")
	ranges, err := c.ReadFeedRanges(ctx, nil)
	if err != nil || len(ranges) != 4 {
		t.Fatalf("feed ranges: %v %v", ranges, err)
	}
	const n = 200
	for i := 0; i < n; i++ {
		k := fmt.Sprint("key-", i)
		if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(k), item("x", k, nil), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Each range's feed holds a share of the keys, and together they hold all, once.
	seen := map[string]bool{}
	for _, fr := range ranges {
		fr := fr
		resp, err := c.ReadChangeFeed(ctx, &azcosmos.ChangeFeedOptions{FeedRange: &fr, MaxItemCount: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Items) == 0 || len(resp.Items) == n {
			t.Errorf("range %v holds %d of %d keys", fr, len(resp.Items), n)
		}
		for _, it := range resp.Items {
			k := decode(t, it)["pk"].(string)
			if seen[k] {
				t.Errorf("key %s in two ranges", k)
			}
			seen[k] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("ranges hold %d keys, want %d", len(seen), n)
	}
	// Reading by partition key routes through the SDK's own hashing: it must find the key's range.
	pk := azcosmos.NewPartitionKeyString("key-7")
	resp, err := c.ReadChangeFeed(ctx, &azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], PartitionKey: &pk})
	if err != nil {
		t.Fatal(err)
	}
	_ = resp
}
