package cosmostest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

func testChangeFeedContinuation(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "feed")
	pk := azcosmos.NewPartitionKeyString("s")
	for i := 0; i < 20; i++ {
		if _, err := c.CreateItem(ctx, pk, Item(fmt.Sprint(i), "s", map[string]any{"n": i}), nil); err != nil {
			t.Fatal(err)
		}
	}
	first, cont := ReadFeed(t, c, nil)
	if len(first) != 20 {
		t.Fatalf("first drain: %d items, want 20", len(first))
	}
	for i, it := range first {
		if it["n"] != float64(i) {
			t.Fatalf("feed out of order at %d: %v", i, it)
		}
	}
	// Nothing new: the continuation answers an empty page (304 underneath).
	again, cont := ReadFeed(t, c, &cont)
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
	if _, err := c.UpsertItem(ctx, pk, Item("3", "s", map[string]any{"n": 300}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateItem(ctx, pk, Item("new", "s", map[string]any{"n": 21}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpsertItem(ctx, pk, Item("3", "s", map[string]any{"n": 301}), nil); err != nil {
		t.Fatal(err)
	}
	next, _ := ReadFeed(t, c, &cont)
	if len(next) != 2 || next[0]["id"] != "new" || next[1]["id"] != "3" || next[1]["n"] != float64(301) {
		t.Fatalf("changes after continuation: %v", next)
	}
	// From the beginning, the item changed twice appears once, after the last change.
	all := DrainFeed(t, c)
	if len(all) != 21 || all[20]["id"] != "3" {
		t.Fatalf("full feed: %d items, last %v", len(all), all[len(all)-1])
	}
}

func testChangeFeedStartFromTime(t *testing.T, s *suite) {
	ctx := context.Background()
	now := time.Now()
	c := s.container(t, "fromtime")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, Item("a", "s", nil), nil); err != nil {
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

// testChangeFeedFromNow starts a range's feed with If-None-Match: *, which
// azcosmos has no option for: 304 at once, and a continuation from which
// the next change, and only it, comes.
func testChangeFeedFromNow(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "fromnow")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, Item("old", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	ranges, err := c.ReadFeedRanges(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadChangeFeed(withHeader(ctx, "If-None-Match", "*"), &azcosmos.ChangeFeedOptions{FeedRange: &ranges[0]})
	if err != nil || resp.RawResponse.StatusCode != http.StatusNotModified || resp.ETag == "" || resp.ContinuationToken == "" {
		t.Fatalf("from now: %v, want 304 with an etag and a continuation", err)
	}
	if _, err := c.CreateItem(ctx, pk, Item("new", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	after, _ := ReadFeed(t, c, &resp.ContinuationToken)
	if got := feedIDs(after); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("after starting now: %v, want [new]", got)
	}
}

func testChangeFeedKeepsBatchOperationOrder(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "batchorder")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, Item("before", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	// Neither sorted nor reverse-sorted: only operation order produces it.
	order := []string{"z", "a", "m", "b"}
	b := c.NewTransactionalBatch(pk)
	for _, id := range order {
		b.CreateItem(Item(id, "s", nil), nil)
	}
	resp, err := c.ExecuteTransactionalBatch(ctx, b, nil)
	if err != nil || !resp.Success {
		t.Fatalf("batch: %v success=%v", err, resp.Success)
	}
	if _, err := c.CreateItem(ctx, pk, Item("after", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	want := append(append([]string{"before"}, order...), "after")
	if got := feedIDs(DrainFeed(t, c)); !slices.Equal(got, want) {
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

func testChangeFeedMaxItemCount(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "pagesize")
	pk := azcosmos.NewPartitionKeyString("s")
	const n = 23
	for i := 0; i < n; i++ {
		if _, err := c.CreateItem(ctx, pk, Item(fmt.Sprint(i), "s", map[string]any{"n": i}), nil); err != nil {
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

// testFeedRangesMatchSDKRouting: the feed ranges split the keys between
// them as the SDK routes them, and a partition key read of a range returns
// that key's changes only.
func testFeedRangesMatchSDKRouting(t *testing.T, s *suite) {
	ctx := context.Background()
	c, ranges := s.partitioned(t, "ranges")
	const n = 200
	for i := 0; i < n; i++ {
		k := fmt.Sprint("key-", i)
		if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(k), Item("x", k, nil), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Each range's feed holds a share of the keys, and together they hold all, once.
	seen := map[string]bool{}
	for _, fr := range ranges {
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
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(key), Item("y", key, nil), nil); err != nil {
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
