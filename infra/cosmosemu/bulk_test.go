package cosmosemu_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

// bulkResult is one operation's answer in a batch response.
type bulkResult struct {
	StatusCode    int             `json:"statusCode"`
	RequestCharge float64         `json:"requestCharge"`
	ETag          string          `json:"eTag"`
	ResourceBody  json.RawMessage `json:"resourceBody"`
}

// postBulk sends a non-atomic batch as the JavaScript and .NET SDKs send
// bulk operations: no partition key header, each operation naming its own.
func postBulk(t *testing.T, srv *cosmosemu.Server, continueOnError bool, ops string) (int, []bulkResult) {
	t.Helper()
	headers := map[string]string{
		"x-ms-cosmos-is-batch-request":        "True",
		"x-ms-cosmos-batch-atomic":            "False",
		"x-ms-documentdb-partitionkeyrangeid": "0",
		"Content-Type":                        "application/json",
	}
	if continueOnError {
		headers["x-ms-cosmos-batch-continue-on-error"] = "True"
	}
	resp := rawResp(t, srv, http.MethodPost, "dbs/db/colls/bulk/docs", headers, []byte(ops))
	defer resp.Body.Close()
	var out []bulkResult
	if err := jsonDecode(resp.Body, &out); err != nil {
		t.Fatalf("bulk response: %v", err)
	}
	return resp.StatusCode, out
}

// TestBulkAppliesEachOperationOnItsOwn checks the non-atomic batch: every
// operation runs in its own partition with its own status, a failure does not
// undo the others, and the batch answers 207 when any operation failed.
func TestBulkAppliesEachOperationOnItsOwn(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "bulk")
	ctx := context.Background()
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("b"), []byte(`{"id":"taken","pk":"b","n":1}`), nil); err != nil {
		t.Fatal(err)
	}
	status, res := postBulk(t, srv, true, `[
		{"operationType":"Create","partitionKey":"[\"a\"]","resourceBody":{"id":"x","pk":"a"}},
		{"operationType":"Create","partitionKey":"[\"b\"]","resourceBody":{"id":"taken","pk":"b"}},
		{"operationType":"Upsert","partitionKey":"[\"c\"]","resourceBody":{"id":"y","pk":"c"}},
		{"operationType":"Patch","id":"taken","partitionKey":"[\"b\"]","resourceBody":[{"op":"incr","path":"/n","value":1}]},
		{"operationType":"Read","id":"missing","partitionKey":"[\"a\"]"},
		{"operationType":"Delete","id":"x","partitionKey":"[\"a\"]"}
	]`)
	if status != http.StatusMultiStatus {
		t.Errorf("status %d, want 207", status)
	}
	want := []int{201, 409, 201, 200, 404, 204}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i, r := range res {
		if r.StatusCode != want[i] || r.RequestCharge <= 0 {
			t.Errorf("op %d: status %d charge %v, want %d", i, r.StatusCode, r.RequestCharge, want[i])
		}
	}
	if res[2].ETag == "" || len(res[2].ResourceBody) == 0 {
		t.Errorf("upsert result has no etag or body: %+v", res[2])
	}
	got, err := c.ReadItem(ctx, azcosmos.NewPartitionKeyString("b"), "taken", nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ N int }
	if err := json.Unmarshal(got.Value, &doc); err != nil || doc.N != 2 {
		t.Errorf("patched n = %d (%v), want 2", doc.N, err)
	}
	if _, err := c.ReadItem(ctx, azcosmos.NewPartitionKeyString("c"), "y", nil); err != nil {
		t.Errorf("upsert after a failed operation was not applied: %v", err)
	}
}

// TestBulkWithoutContinueOnErrorStopsAtFirstFailure: the operations after the
// first failure answer 424 and are not applied; those before it stay.
func TestBulkWithoutContinueOnErrorStopsAtFirstFailure(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "bulk")
	status, res := postBulk(t, srv, false, `[
		{"operationType":"Create","partitionKey":"[\"a\"]","resourceBody":{"id":"1","pk":"a"}},
		{"operationType":"Replace","id":"nope","partitionKey":"[\"a\"]","resourceBody":{"id":"nope","pk":"a"}},
		{"operationType":"Create","partitionKey":"[\"a\"]","resourceBody":{"id":"2","pk":"a"}}
	]`)
	if status != http.StatusMultiStatus || len(res) != 3 {
		t.Fatalf("status %d with %d results", status, len(res))
	}
	for i, want := range []int{201, 404, 424} {
		if res[i].StatusCode != want {
			t.Errorf("op %d: %d, want %d", i, res[i].StatusCode, want)
		}
	}
	pk := azcosmos.NewPartitionKeyString("a")
	if _, err := c.ReadItem(context.Background(), pk, "1", nil); err != nil {
		t.Errorf("operation before the failure was undone: %v", err)
	}
	if _, err := c.ReadItem(context.Background(), pk, "2", nil); err == nil {
		t.Errorf("operation after the failure was applied")
	}
}

// TestBulkAllSucceededAnswers200 and a refusal of an operation without a
// partition key when the request names none either.
func TestBulkAllSucceededAnswers200(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	newContainer(t, client, "bulk")
	status, res := postBulk(t, srv, true, `[
		{"operationType":"Create","partitionKey":"[\"a\"]","resourceBody":{"id":"1","pk":"a"}},
		{"operationType":"Create","partitionKey":"[\"b\"]","resourceBody":{"id":"1","pk":"b"}}
	]`)
	if status != http.StatusOK || len(res) != 2 || res[0].StatusCode != 201 || res[1].StatusCode != 201 {
		t.Errorf("status %d results %+v", status, res)
	}
	status, res = postBulk(t, srv, true, `[{"operationType":"Create","resourceBody":{"id":"2","pk":"a"}}]`)
	if status != http.StatusMultiStatus || len(res) != 1 || res[0].StatusCode != 400 {
		t.Errorf("operation without partition key: status %d results %+v", status, res)
	}
}

// TestPatchBareArrayAndCondition sends the two body shapes the JavaScript SDK
// sends: the bare array, and an object with a condition that must hold (412
// when it does not, nothing changed).
func TestPatchBareArrayAndCondition(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "patch")
	pk := azcosmos.NewPartitionKeyString("a")
	if _, err := c.CreateItem(context.Background(), pk, []byte(`{"id":"1","pk":"a","n":1}`), nil); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"x-ms-documentdb-partitionkey": `["a"]`, "Content-Type": "application/json"}
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"bare array", `[{"op":"incr","path":"/n","value":1}]`, 200},
		{"condition holds", `{"condition":"from c where c.n = 2","operations":[{"op":"set","path":"/s","value":"x"}]}`, 200},
		{"condition fails", `{"condition":"from c where c.n = 5","operations":[{"op":"set","path":"/s","value":"y"}]}`, 412},
		{"bare array of nothing", `[]`, 400},
	} {
		if got := rawDo(t, srv, http.MethodPatch, "dbs/db/colls/patch/docs/1", h, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	got, err := c.ReadItem(context.Background(), pk, "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		N int
		S string
	}
	if err := json.Unmarshal(got.Value, &doc); err != nil || doc.N != 2 || doc.S != "x" {
		t.Errorf("after patches: %+v (%v), want n=2 s=x", doc, err)
	}
}
