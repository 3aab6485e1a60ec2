package cosmosemu_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

func TestItemLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "items")
	pk := azcosmos.NewPartitionKeyString("p1")

	created, err := c.CreateItem(ctx, pk, item("a", "p1", map[string]any{"n": 1}), &azcosmos.ItemOptions{EnableContentResponseOnWrite: true})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.RawResponse.StatusCode != http.StatusCreated || created.ETag == "" || created.RequestCharge <= 0 {
		t.Fatalf("create answered %d etag %q charge %v", created.RawResponse.StatusCode, created.ETag, created.RequestCharge)
	}
	body := decode(t, created.Value)
	for _, k := range []string{"_rid", "_self", "_etag", "_ts", "_lsn"} {
		if _, ok := body[k]; !ok {
			t.Errorf("created item lacks system property %s: %v", k, body)
		}
	}
	if created.ActivityID == "" || created.SessionToken == nil || *created.SessionToken == "" {
		t.Errorf("missing activity id or session token")
	}

	if _, err := c.CreateItem(ctx, pk, item("a", "p1", nil), nil); statusOf(err) != http.StatusConflict {
		t.Fatalf("second create: want 409, got %v", err)
	}
	// The same id in another logical partition is a different item.
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("p2"), item("a", "p2", nil), nil); err != nil {
		t.Fatalf("same id, other partition: %v", err)
	}
	if _, err := c.ReadItem(ctx, pk, "missing", nil); statusOf(err) != http.StatusNotFound {
		t.Fatalf("read missing: want 404, got %v", err)
	}

	read, err := c.ReadItem(ctx, pk, "a", nil)
	if err != nil || decode(t, read.Value)["n"] != float64(1) || read.ETag != created.ETag {
		t.Fatalf("read: %v %s", err, read.Value)
	}

	// If-None-Match with the current etag: 304, nothing transferred.
	// azcosmos v1.5.0 cannot send If-None-Match on a point read (ItemOptions
	// has IfMatchEtag only), so this is a signed raw request.
	inm := rawResp(t, srv, http.MethodGet, "dbs/db/colls/items/docs/a", map[string]string{
		"x-ms-documentdb-partitionkey": `["p1"]`, "If-None-Match": string(created.ETag)}, nil)
	if inm.StatusCode != http.StatusNotModified {
		t.Fatalf("read with If-None-Match = current etag: want 304, got %d", inm.StatusCode)
	}
	if b, _ := io.ReadAll(inm.Body); len(b) != 0 {
		t.Errorf("304 carried a body: %q", b)
	}
	if got := inm.Header.Get("Etag"); got != string(created.ETag) {
		t.Errorf("304 etag %q, want %q", got, created.ETag)
	}

	stale := created.ETag
	replaced, err := c.ReplaceItem(ctx, pk, "a", item("a", "p1", map[string]any{"n": 2}), &azcosmos.ItemOptions{IfMatchEtag: &stale})
	if err != nil {
		t.Fatalf("replace with current etag: %v", err)
	}
	if replaced.ETag == stale {
		t.Fatalf("replace kept the etag")
	}
	if _, err := c.ReplaceItem(ctx, pk, "a", item("a", "p1", map[string]any{"n": 3}), &azcosmos.ItemOptions{IfMatchEtag: &stale}); statusOf(err) != http.StatusPreconditionFailed {
		t.Fatalf("replace with stale etag: want 412, got %v", err)
	}
	// The etag the client holds is stale now: the read transfers the new version.
	inm = rawResp(t, srv, http.MethodGet, "dbs/db/colls/items/docs/a", map[string]string{
		"x-ms-documentdb-partitionkey": `["p1"]`, "If-None-Match": string(stale)}, nil)
	if inm.StatusCode != http.StatusOK || inm.Header.Get("Etag") != string(replaced.ETag) {
		t.Fatalf("read with If-None-Match = replaced etag: status %d etag %q, want 200 with %q", inm.StatusCode, inm.Header.Get("Etag"), replaced.ETag)
	}
	var cur map[string]any
	if err := jsonDecode(inm.Body, &cur); err != nil || cur["n"] != float64(2) {
		t.Fatalf("read with stale If-None-Match returned %v (%v), want the replaced item", cur, err)
	}
	if _, err := c.ReplaceItem(ctx, pk, "zz", item("zz", "p1", nil), nil); statusOf(err) != http.StatusNotFound {
		t.Fatalf("replace missing: want 404, got %v", err)
	}

	up, err := c.UpsertItem(ctx, pk, item("b", "p1", nil), nil)
	if err != nil || up.RawResponse.StatusCode != http.StatusCreated {
		t.Fatalf("upsert new: %v", err)
	}
	up, err = c.UpsertItem(ctx, pk, item("b", "p1", map[string]any{"x": true}), nil)
	if err != nil || up.RawResponse.StatusCode != http.StatusOK {
		t.Fatalf("upsert existing: %v", err)
	}

	if _, err := c.DeleteItem(ctx, pk, "b", &azcosmos.ItemOptions{IfMatchEtag: &stale}); statusOf(err) != http.StatusPreconditionFailed {
		t.Fatalf("delete stale: want 412, got %v", err)
	}
	if _, err := c.DeleteItem(ctx, pk, "b", nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.ReadItem(ctx, pk, "b", nil); statusOf(err) != http.StatusNotFound {
		t.Fatalf("read deleted: want 404, got %v", err)
	}
	if _, err := c.DeleteItem(ctx, pk, "b", nil); statusOf(err) != http.StatusNotFound {
		t.Fatalf("delete twice: want 404, got %v", err)
	}
}

func TestItemValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "v")
	pk := azcosmos.NewPartitionKeyString("p")
	cases := []struct {
		name string
		body string
		pk   azcosmos.PartitionKey
		want int
	}{
		{"missing id", `{"pk":"p"}`, pk, 400},
		{"not an object", `[1,2]`, pk, 400},
		{"malformed", `{"id":`, pk, 400},
		{"partition key mismatch", `{"id":"x","pk":"other"}`, pk, 400},
		{"too large", `{"id":"big","pk":"p","s":"` + string(make([]byte, 2*1024*1024)) + `"}`, pk, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateItem(ctx, tc.pk, []byte(tc.body), nil)
			if got := statusOf(err); got != tc.want {
				t.Fatalf("want %d, got %d (%v)", tc.want, got, err)
			}
		})
	}
}

func TestPatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "patch")
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(ctx, pk, item("a", "p", map[string]any{"n": 1, "tags": []string{"x"}, "old": 1, "keep": "k"}), nil); err != nil {
		t.Fatal(err)
	}
	var ops azcosmos.PatchOperations
	ops.AppendSet("/name", "new")
	ops.AppendAdd("/tags/1", "y")
	ops.AppendRemove("/old")
	ops.AppendReplace("/keep", "kept")
	ops.AppendIncrement("/n", 5)
	resp, err := c.PatchItem(ctx, pk, "a", ops, &azcosmos.ItemOptions{EnableContentResponseOnWrite: true})
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	got := decode(t, resp.Value)
	if got["name"] != "new" || got["n"] != float64(6) || got["keep"] != "kept" || len(got["tags"].([]any)) != 2 {
		t.Fatalf("patched item: %v", got)
	}
	if _, ok := got["old"]; ok {
		t.Fatalf("remove did not remove: %v", got)
	}

	var bad azcosmos.PatchOperations
	bad.AppendReplace("/absent", 1)
	if _, err := c.PatchItem(ctx, pk, "a", bad, nil); statusOf(err) != 400 {
		t.Fatalf("replace of absent path: want 400, got %v", err)
	}
	var pkChange azcosmos.PatchOperations
	pkChange.AppendSet("/pk", "q")
	if _, err := c.PatchItem(ctx, pk, "a", pkChange, nil); statusOf(err) != 400 {
		t.Fatalf("patching the partition key: want 400, got %v", err)
	}
	var cond azcosmos.PatchOperations
	cond.SetCondition("from c where c.n = 100")
	cond.AppendSet("/x", 1)
	if _, err := c.PatchItem(ctx, pk, "a", cond, nil); statusOf(err) != 412 {
		t.Fatalf("patch with false condition: want 412, got %v", err)
	}
	if _, err := c.PatchItem(ctx, pk, "missing", ops, nil); statusOf(err) != 404 {
		t.Fatalf("patch missing: want 404, got %v", err)
	}
}

func TestIfNoneMatchRead(t *testing.T) {
	t.Parallel()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "inm")
	ctx := context.Background()
	created, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("p"), item("a", "p", nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	status := rawDo(t, srv, http.MethodGet, "dbs/db/colls/inm/docs/a", map[string]string{
		"x-ms-documentdb-partitionkey": `["p"]`, "If-None-Match": string(created.ETag)}, nil)
	if status != http.StatusNotModified {
		t.Fatalf("read with current etag: want 304, got %d", status)
	}
	status = rawDo(t, srv, http.MethodGet, "dbs/db/colls/inm/docs/a", map[string]string{
		"x-ms-documentdb-partitionkey": `["p"]`, "If-None-Match": `"stale"`}, nil)
	if status != http.StatusOK {
		t.Fatalf("read with stale etag: want 200, got %d", status)
	}
	_ = azcore.ETag("")
}

// TestIDsTheGatewayCannotAddress follows the Cosmos DB gateway: such ids are
// stored, but point operations on them fail (401: the gateway's view of the
// path no longer matches what the SDK signed; 400 for control characters).
func TestIDsTheGatewayCannotAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "ids")
	pk := azcosmos.NewPartitionKeyString("p")
	cases := []struct {
		id       string
		readWant int
	}{
		{"trailing space ", 401},
		{"slash/inside", 401},
		{"back\\slash", 401},
		{"hash#inside", 401},
		{"percent%20encoded", 401},
		{"tab\tinside", 400},
		{"question?mark", 200},
		{"plain-id", 200},
	}
	for _, tc := range cases {
		body, _ := json.Marshal(map[string]string{"id": tc.id, "pk": "p"})
		if _, err := c.CreateItem(ctx, pk, body, nil); err != nil {
			t.Fatalf("create %q: %v", tc.id, err)
		}
		_, err := c.ReadItem(ctx, pk, tc.id, nil)
		got := statusOf(err)
		if err == nil {
			got = 200
		}
		if got != tc.readWant {
			t.Errorf("read %q: status %d, want %d", tc.id, got, tc.readWant)
		}
	}
}
