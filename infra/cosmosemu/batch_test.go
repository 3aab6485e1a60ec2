package cosmosemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

func TestBatchCommitsAllOperations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "batch")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, item("existing", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	b := c.NewTransactionalBatch(pk)
	b.CreateItem(item("e1", "s", nil), nil)
	b.CreateItem(item("e2", "s", nil), nil)
	b.ReadItem("existing", nil)
	b.UpsertItem(item("e3", "s", nil), nil)
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
	if _, err := c.ReadItem(ctx, pk, "existing", nil); statusOf(err) != 404 {
		t.Errorf("deleted in batch still readable: %v", err)
	}
}

func TestConflictingBatchLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "atomic")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(ctx, pk, item("v3", "s", map[string]any{"winner": "first"}), nil); err != nil {
		t.Fatal(err)
	}
	b := c.NewTransactionalBatch(pk)
	b.CreateItem(item("v1", "s", nil), nil)
	b.CreateItem(item("v2", "s", nil), nil)
	b.CreateItem(item("v3", "s", map[string]any{"winner": "second"}), nil) // collides
	b.CreateItem(item("v4", "s", nil), nil)
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
		if _, err := c.ReadItem(ctx, pk, id, nil); statusOf(err) != 404 {
			t.Errorf("%s of a failed batch is visible: %v", id, err)
		}
	}
	got, err := c.ReadItem(ctx, pk, "v3", nil)
	if err != nil || decode(t, got.Value)["winner"] != "first" {
		t.Fatalf("the first writer's item changed: %v %s", err, got.Value)
	}
	// Nothing of the failed batch reached the change feed either.
	items := drainFeed(t, c)
	if len(items) != 1 {
		t.Fatalf("change feed after failed batch has %d items, want 1", len(items))
	}
}

// cosmosError returns the status and the {code, message} body of an SDK error,
// failing the test if err is not a service response.
func cosmosError(t *testing.T, err error) (status int, code, message string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.RawResponse == nil {
		t.Fatalf("want a service error response, got %v", err)
	}
	body, perr := runtime.Payload(re.RawResponse)
	if perr != nil {
		t.Fatalf("read error body: %v", perr)
	}
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if jerr := json.Unmarshal(body, &e); jerr != nil {
		t.Fatalf("error body %q: %v", body, jerr)
	}
	return re.StatusCode, e.Code, e.Message
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "limits")
	pk := azcosmos.NewPartitionKeyString("s")
	// Exactly 100 operations is within the limit.
	full := c.NewTransactionalBatch(pk)
	for i := 0; i < 100; i++ {
		full.CreateItem(item(fmt.Sprint("ok", i), "s", nil), nil)
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
	if got := len(drainFeed(t, c)); got != 100 {
		t.Fatalf("after a batch of 100 creates the feed holds %d items", got)
	}
	// One more is rejected whole, with Cosmos DB's message.
	over := c.NewTransactionalBatch(pk)
	for i := 0; i < 101; i++ {
		over.CreateItem(item(fmt.Sprint("over", i), "s", nil), nil)
	}
	_, err = c.ExecuteTransactionalBatch(ctx, over, nil)
	if status, code, msg := cosmosError(t, err); status != 400 || code != "BadRequest" ||
		!strings.Contains(msg, "Batch request has more operations than what is supported") {
		t.Fatalf("101 operations: %d %s %q, want 400 BadRequest \"Batch request has more operations than what is supported\"", status, code, msg)
	}
	if _, err := c.ReadItem(ctx, pk, "over0", nil); statusOf(err) != 404 {
		t.Fatalf("item of a rejected batch exists: %v", err)
	}
	// A body over 2 MB is rejected whole with 413, though each item is under
	// the 2 MB item limit. The filler is ASCII so the JSON is ~2.1 MB.
	filler := strings.Repeat("a", 700*1024)
	big := c.NewTransactionalBatch(pk)
	for i := 0; i < 3; i++ {
		big.CreateItem(item(fmt.Sprint("big", i), "s", map[string]any{"s": filler}), nil)
	}
	_, err = c.ExecuteTransactionalBatch(ctx, big, nil)
	if status, code, msg := cosmosError(t, err); status != 413 || code != "RequestEntityTooLarge" ||
		!strings.Contains(msg, "Request size is too large") {
		t.Fatalf("batch over 2 MB: %d %s %q, want 413 RequestEntityTooLarge \"Request size is too large\"", status, code, msg)
	}
	if _, err := c.ReadItem(ctx, pk, "big0", nil); statusOf(err) != 404 {
		t.Fatalf("item of a rejected batch exists: %v", err)
	}
	// Two of those items (~1.4 MB) fit.
	small := c.NewTransactionalBatch(pk)
	for i := 0; i < 2; i++ {
		small.CreateItem(item(fmt.Sprint("big", i), "s", map[string]any{"s": filler}), nil)
	}
	if resp, err := c.ExecuteTransactionalBatch(ctx, small, nil); err != nil || !resp.Success {
		t.Fatalf("batch under 2 MB: %v", err)
	}
	// Pre-condition failure inside a batch also aborts everything.
	if _, err := c.CreateItem(ctx, pk, item("x", "s", nil), nil); err != nil {
		t.Fatal(err)
	}
	stale := azcosmosETag(`"stale"`)
	pre := c.NewTransactionalBatch(pk)
	pre.CreateItem(item("y", "s", nil), nil)
	pre.ReplaceItem("x", item("x", "s", map[string]any{"v": 2}), &azcosmos.TransactionalBatchItemOptions{IfMatchETag: &stale})
	resp, err = c.ExecuteTransactionalBatch(ctx, pre, nil)
	if err != nil || resp.Success || resp.OperationResults[1].StatusCode != 412 || resp.OperationResults[0].StatusCode != 424 {
		t.Fatalf("stale etag in batch: %v %+v", err, resp.OperationResults)
	}
	if _, err := c.ReadItem(ctx, pk, "y", nil); statusOf(err) != 404 {
		t.Fatalf("item of aborted batch exists: %v", err)
	}
}
