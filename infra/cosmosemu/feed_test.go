package cosmosemu_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
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

// feedPageSize is the MaxItemCount readFeedFrom asks for; no page may exceed it.
const feedPageSize = 7

// readFeedFrom reads all pages from a continuation (nil: from the beginning of
// every feed range) until a page comes back empty, returning the next continuation.
func readFeedFrom(t *testing.T, c *azcosmos.ContainerClient, cont *string) ([]map[string]any, string) {
	t.Helper()
	var out []map[string]any
	pages, next := feedPages(t, c, cont, feedPageSize)
	for _, p := range pages {
		out = append(out, p...)
	}
	return out, next
}

// feedPages reads the change feed page by page with the given MaxItemCount,
// from a continuation (nil: from the beginning of every feed range), until a
// page comes back empty. It returns the non-empty pages, failing the test if
// any page holds more than max items, and the continuation after the last page.
func feedPages(t *testing.T, c *azcosmos.ContainerClient, cont *string, max int32) ([][]map[string]any, string) {
	t.Helper()
	ctx := context.Background()
	var pages [][]map[string]any
	opts := &azcosmos.ChangeFeedOptions{MaxItemCount: max}
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
		if len(resp.Items) > int(max) {
			t.Fatalf("change feed page of %d items, MaxItemCount %d", len(resp.Items), max)
		}
		token := resp.ContinuationToken
		opts = &azcosmos.ChangeFeedOptions{MaxItemCount: max, Continuation: &token}
		if len(resp.Items) == 0 {
			return pages, token
		}
		page := make([]map[string]any, len(resp.Items))
		for j, it := range resp.Items {
			page[j] = decode(t, it)
		}
		pages = append(pages, page)
	}
	t.Fatal("change feed did not end")
	return nil, ""
}

// feedIDs lists the "id" of each item.
func feedIDs(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["id"].(string)
	}
	return out
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
	// The SDK passes the 304 through: check the raw status of a drained read.
	resp, err := c.ReadChangeFeed(ctx, &azcosmos.ChangeFeedOptions{MaxItemCount: feedPageSize, Continuation: &cont})
	if err != nil {
		t.Fatalf("read drained feed: %v", err)
	}
	if resp.RawResponse == nil || resp.RawResponse.StatusCode != http.StatusNotModified || len(resp.Items) != 0 || resp.ETag == "" {
		status := 0
		if resp.RawResponse != nil {
			status = resp.RawResponse.StatusCode
		}
		t.Fatalf("drained feed: status %d, %d items, etag %q; want 304, none, an etag", status, len(resp.Items), resp.ETag)
	}
	if resp.ContinuationToken == "" {
		t.Fatal("a 304 page carries no continuation token")
	}
	// Resume from the 304's continuation: it must not skip what comes next.
	cont = resp.ContinuationToken
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
	// A partition-key read of the range that holds the key returns that key's
	// changes and nothing of the other keys sharing the range.
	const key = "key-7"
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(key), item("y", key, nil), nil); err != nil {
		t.Fatal(err)
	}
	home := slices.IndexFunc(ranges, func(fr azcosmos.FeedRange) bool {
		resp, err := c.ReadChangeFeed(ctx, &azcosmos.ChangeFeedOptions{FeedRange: &fr, MaxItemCount: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(resp.Items, func(b []byte) bool { return decode(t, b)["pk"] == key })
	})
	if home < 0 {
		t.Fatalf("no range holds %s", key)
	}
	pk := azcosmos.NewPartitionKeyString(key)
	resp, err := c.ReadChangeFeed(ctx, &azcosmos.ChangeFeedOptions{FeedRange: &ranges[home], PartitionKey: &pk, MaxItemCount: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range resp.Items {
		it := decode(t, b)
		if it["pk"] != key {
			t.Errorf("partition key %s read returned an item of %v", key, it["pk"])
		}
		got = append(got, it["id"].(string))
	}
	if !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("partition key %s read of range %d: ids %v, want [x y]", key, home, got)
	}
}

func TestChangeFeedKeepsBatchOperationOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "batchorder")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, item("before", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	// Neither sorted nor reverse-sorted: only operation order produces it.
	order := []string{"z", "a", "m", "b"}
	b := c.NewTransactionalBatch(pk)
	for _, id := range order {
		b.CreateItem(item(id, "s", nil), nil)
	}
	resp, err := c.ExecuteTransactionalBatch(ctx, b, nil)
	if err != nil || !resp.Success {
		t.Fatalf("batch: %v success=%v", err, resp.Success)
	}
	if _, err := c.CreateItem(ctx, pk, item("after", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	want := append(append([]string{"before"}, order...), "after")
	if got := feedIDs(drainFeed(t, c)); !slices.Equal(got, want) {
		t.Fatalf("change feed order %v, want %v", got, want)
	}
	// Also when the batch straddles page boundaries.
	pages, _ := feedPages(t, c, nil, 2)
	var got []string
	for _, p := range pages {
		got = append(got, feedIDs(p)...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("change feed order in pages of 2: %v, want %v", got, want)
	}
}

func TestChangeFeedMaxItemCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "pagesize")
	pk := azcosmos.NewPartitionKeyString("s")
	const n = 23
	for i := 0; i < n; i++ {
		if _, err := c.CreateItem(ctx, pk, item(fmt.Sprint(i), "s", map[string]any{"n": i}), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, max := range []int32{1, 5, n, n + 10} {
		// feedPages fails on any page over max; a page short of max is
		// allowed only when nothing more is left (one feed range here).
		pages, _ := feedPages(t, c, nil, max)
		var all []map[string]any
		for i, p := range pages {
			if i < len(pages)-1 && len(p) != int(max) {
				t.Errorf("MaxItemCount %d: page %d of %d has %d items while more were available", max, i, len(pages), len(p))
			}
			all = append(all, p...)
		}
		wantPages := (n + int(max) - 1) / int(max)
		if len(pages) != wantPages {
			t.Errorf("MaxItemCount %d: %d pages, want %d", max, len(pages), wantPages)
		}
		if len(all) != n {
			t.Fatalf("MaxItemCount %d: %d items across pages, want %d", max, len(all), n)
		}
		for i, it := range all {
			if it["n"] != float64(i) {
				t.Fatalf("MaxItemCount %d: item %d is %v", max, i, it)
			}
		}
	}
}
