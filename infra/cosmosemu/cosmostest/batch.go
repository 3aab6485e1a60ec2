package cosmostest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

func testBatchCommitsAllOperations(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "batch")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, Item("existing", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	b := c.NewTransactionalBatch(pk)
	b.CreateItem(Item("e1", "s", nil), nil)
	b.CreateItem(Item("e2", "s", nil), nil)
	b.ReadItem("existing", nil)
	b.UpsertItem(Item("e3", "s", nil), nil)
	b.DeleteItem("existing", nil)
	resp, err := c.ExecuteTransactionalBatch(ctx, b, nil)
	if err != nil || !resp.Success {
		t.Fatalf("batch: %v success=%v", err, resp.Success)
	}
	want := []int32{201, 201, 200, 201, 204}
	for i, r := range resp.OperationResults {
		if r.StatusCode != want[i] || r.RequestCharge <= 0 {
			t.Errorf("op %d: status %d charge %v, want %d", i, r.StatusCode, r.RequestCharge, want[i])
		}
	}
	if resp.OperationResults[2].ResourceBody == nil {
		t.Errorf("read in batch returned no body")
	}
	for _, id := range []string{"e1", "e2", "e3"} {
		if _, err := c.ReadItem(ctx, pk, id, nil); err != nil {
			t.Errorf("%s after batch: %v", id, err)
		}
	}
	if _, err := c.ReadItem(ctx, pk, "existing", nil); StatusOf(err) != 404 {
		t.Errorf("deleted in batch still readable: %v", err)
	}
}

func testConflictingBatchLeavesNothingBehind(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "atomic")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, Item("v3", "s", map[string]any{"winner": "first"}), nil); err != nil {
		t.Fatal(err)
	}
	b := c.NewTransactionalBatch(pk)
	b.CreateItem(Item("v1", "s", nil), nil)
	b.CreateItem(Item("v2", "s", nil), nil)
	b.CreateItem(Item("v3", "s", map[string]any{"winner": "second"}), nil) // collides
	b.CreateItem(Item("v4", "s", nil), nil)
	resp, err := c.ExecuteTransactionalBatch(ctx, b, nil)
	if err != nil {
		t.Fatalf("batch transport error: %v", err)
	}
	if resp.Success || resp.RawResponse.StatusCode != http.StatusMultiStatus {
		t.Fatalf("conflicting batch: success=%v status=%d", resp.Success, resp.RawResponse.StatusCode)
	}
	for i, r := range resp.OperationResults {
		want := int32(424)
		if i == 2 {
			want = 409
		}
		if r.StatusCode != want {
			t.Errorf("op %d: status %d, want %d", i, r.StatusCode, want)
		}
	}
	for _, id := range []string{"v1", "v2", "v4"} {
		if _, err := c.ReadItem(ctx, pk, id, nil); StatusOf(err) != 404 {
			t.Errorf("%s of a failed batch is visible: %v", id, err)
		}
	}
	got, err := c.ReadItem(ctx, pk, "v3", nil)
	if err != nil || decode(t, got.Value)["winner"] != "first" {
		t.Fatalf("the first writer's item changed: %v %s", err, got.Value)
	}
	// Nothing of the failed batch reached the change feed either.
	items := DrainFeed(t, c)
	if len(items) != 1 {
		t.Fatalf("change feed after failed batch has %d items, want 1", len(items))
	}
}

func testBatchLimits(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "limits")
	pk := azcosmos.NewPartitionKeyString("s")
	// Exactly 100 operations is within the limit.
	full := c.NewTransactionalBatch(pk)
	for i := 0; i < 100; i++ {
		full.CreateItem(Item(fmt.Sprint("ok", i), "s", nil), nil)
	}
	resp, err := c.ExecuteTransactionalBatch(ctx, full, nil)
	if err != nil || !resp.Success || len(resp.OperationResults) != 100 {
		t.Fatalf("100 operations: %v success=%v results=%d", err, resp.Success, len(resp.OperationResults))
	}
	for i, r := range resp.OperationResults {
		if r.StatusCode != 201 {
			t.Fatalf("100 operations: op %d status %d, want 201", i, r.StatusCode)
		}
	}
	if got := len(DrainFeed(t, c)); got != 100 {
		t.Fatalf("after a batch of 100 creates the feed holds %d items", got)
	}
	// One more is rejected whole, with Cosmos DB's message.
	over := c.NewTransactionalBatch(pk)
	for i := 0; i < 101; i++ {
		over.CreateItem(Item(fmt.Sprint("over", i), "s", nil), nil)
	}
	_, err = c.ExecuteTransactionalBatch(ctx, over, nil)
	if e := ErrorOf(t, err); e.Status != 400 || e.Code != "BadRequest" ||
		!strings.Contains(e.Message, "Batch request has more operations than what is supported") {
		t.Fatalf("101 operations: %+v, want 400 BadRequest \"Batch request has more operations than what is supported\"", e)
	}
	if _, err := c.ReadItem(ctx, pk, "over0", nil); StatusOf(err) != 404 {
		t.Fatalf("item of a rejected batch exists: %v", err)
	}
	// A body over 2 MB is rejected whole with 413, though each item is under
	// the 2 MB item limit. The filler is ASCII so the JSON is ~2.1 MB.
	filler := strings.Repeat("a", 700*1024)
	big := c.NewTransactionalBatch(pk)
	for i := 0; i < 3; i++ {
		big.CreateItem(Item(fmt.Sprint("big", i), "s", map[string]any{"s": filler}), nil)
	}
	_, err = c.ExecuteTransactionalBatch(ctx, big, nil)
	if e := ErrorOf(t, err); e.Status != 413 || e.Code != "RequestEntityTooLarge" ||
		!strings.Contains(e.Message, "Request size is too large") {
		t.Fatalf("batch over 2 MB: %+v, want 413 RequestEntityTooLarge \"Request size is too large\"", e)
	}
	if _, err := c.ReadItem(ctx, pk, "big0", nil); StatusOf(err) != 404 {
		t.Fatalf("item of a rejected batch exists: %v", err)
	}
	// Two of those items (~1.4 MB) fit.
	small := c.NewTransactionalBatch(pk)
	for i := 0; i < 2; i++ {
		small.CreateItem(Item(fmt.Sprint("big", i), "s", map[string]any{"s": filler}), nil)
	}
	if resp, err := c.ExecuteTransactionalBatch(ctx, small, nil); err != nil || !resp.Success {
		t.Fatalf("batch under 2 MB: %v", err)
	}
	// Pre-condition failure inside a batch also aborts everything.
	if _, err := c.CreateItem(ctx, pk, Item("x", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	stale := azcore.ETag(`"stale"`)
	pre := c.NewTransactionalBatch(pk)
	pre.CreateItem(Item("y", "s", nil), nil)
	pre.ReplaceItem("x", Item("x", "s", map[string]any{"v": 2}), &azcosmos.TransactionalBatchItemOptions{IfMatchETag: &stale})
	resp, err = c.ExecuteTransactionalBatch(ctx, pre, nil)
	if err != nil || resp.Success || resp.OperationResults[1].StatusCode != 412 || resp.OperationResults[0].StatusCode != 424 {
		t.Fatalf("stale etag in batch: %v %+v", err, resp.OperationResults)
	}
	if _, err := c.ReadItem(ctx, pk, "y", nil); StatusOf(err) != 404 {
		t.Fatalf("item of aborted batch exists: %v", err)
	}
}
