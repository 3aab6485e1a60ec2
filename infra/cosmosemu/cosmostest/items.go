package cosmostest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

func testItemLifecycle(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "items")
	pk := azcosmos.NewPartitionKeyString("p1")

	created, err := c.CreateItem(ctx, pk, Item("a", "p1", map[string]any{"n": 1}), &azcosmos.ItemOptions{EnableContentResponseOnWrite: true})
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

	if _, err := c.CreateItem(ctx, pk, Item("a", "p1", nil), nil); StatusOf(err) != http.StatusConflict {
		t.Fatalf("second create: want 409, got %v", err)
	}
	// The same id in another logical partition is a different item.
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("p2"), Item("a", "p2", nil), nil); err != nil {
		t.Fatalf("same id, other partition: %v", err)
	}
	if _, err := c.ReadItem(ctx, pk, "missing", nil); StatusOf(err) != http.StatusNotFound {
		t.Fatalf("read missing: want 404, got %v", err)
	}

	read, err := c.ReadItem(ctx, pk, "a", nil)
	if err != nil || decode(t, read.Value)["n"] != float64(1) || read.ETag != created.ETag {
		t.Fatalf("read: %v %s", err, read.Value)
	}

	// If-None-Match with the current etag: 304, nothing transferred.
	inm, err := c.ReadItem(withHeader(ctx, "If-None-Match", string(created.ETag)), pk, "a", nil)
	if err != nil || inm.RawResponse.StatusCode != http.StatusNotModified {
		t.Fatalf("read with If-None-Match = current etag: want 304, got %v %v", err, inm.RawResponse)
	}
	if len(inm.Value) != 0 {
		t.Errorf("304 carried a body: %q", inm.Value)
	}
	if inm.ETag != created.ETag {
		t.Errorf("304 etag %q, want %q", inm.ETag, created.ETag)
	}

	stale := created.ETag
	replaced, err := c.ReplaceItem(ctx, pk, "a", Item("a", "p1", map[string]any{"n": 2}), &azcosmos.ItemOptions{IfMatchEtag: &stale})
	if err != nil {
		t.Fatalf("replace with current etag: %v", err)
	}
	if replaced.ETag == stale {
		t.Fatalf("replace kept the etag")
	}
	if _, err := c.ReplaceItem(ctx, pk, "a", Item("a", "p1", map[string]any{"n": 3}), &azcosmos.ItemOptions{IfMatchEtag: &stale}); StatusOf(err) != http.StatusPreconditionFailed {
		t.Fatalf("replace with stale etag: want 412, got %v", err)
	}
	// The etag the client holds is stale now: the read transfers the new version.
	inm, err = c.ReadItem(withHeader(ctx, "If-None-Match", string(stale)), pk, "a", nil)
	if err != nil || inm.RawResponse.StatusCode != http.StatusOK || inm.ETag != replaced.ETag {
		t.Fatalf("read with If-None-Match = replaced etag: %v, want 200 with %q", err, replaced.ETag)
	}
	if cur := decode(t, inm.Value); cur["n"] != float64(2) {
		t.Fatalf("read with stale If-None-Match returned %v, want the replaced item", cur)
	}
	if _, err := c.ReplaceItem(ctx, pk, "zz", Item("zz", "p1", nil), nil); StatusOf(err) != http.StatusNotFound {
		t.Fatalf("replace missing: want 404, got %v", err)
	}

	up, err := c.UpsertItem(ctx, pk, Item("b", "p1", nil), nil)
	if err != nil || up.RawResponse.StatusCode != http.StatusCreated {
		t.Fatalf("upsert new: %v", err)
	}
	up, err = c.UpsertItem(ctx, pk, Item("b", "p1", map[string]any{"x": true}), nil)
	if err != nil || up.RawResponse.StatusCode != http.StatusOK {
		t.Fatalf("upsert existing: %v", err)
	}

	if _, err := c.DeleteItem(ctx, pk, "b", &azcosmos.ItemOptions{IfMatchEtag: &stale}); StatusOf(err) != http.StatusPreconditionFailed {
		t.Fatalf("delete stale: want 412, got %v", err)
	}
	if _, err := c.DeleteItem(ctx, pk, "b", nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.ReadItem(ctx, pk, "b", nil); StatusOf(err) != http.StatusNotFound {
		t.Fatalf("read deleted: want 404, got %v", err)
	}
	if _, err := c.DeleteItem(ctx, pk, "b", nil); StatusOf(err) != http.StatusNotFound {
		t.Fatalf("delete twice: want 404, got %v", err)
	}
}

func testItemValidation(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "v")
	pk := azcosmos.NewPartitionKeyString("p")
	cases := []struct {
		name string
		body string
		want int
	}{
		{"missing id", `{"pk":"p"}`, 400},
		{"not an object", `[1,2]`, 400},
		{"malformed", `{"id":`, 400},
		{"partition key mismatch", `{"id":"x","pk":"other"}`, 400},
		{"too large", `{"id":"big","pk":"p","s":"` + string(make([]byte, 2*1024*1024)) + `"}`, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateItem(ctx, pk, []byte(tc.body), nil)
			if got := StatusOf(err); got != tc.want {
				t.Fatalf("want %d, got %d (%v)", tc.want, got, err)
			}
		})
	}
}

func testPatch(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "patch")
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(ctx, pk, Item("a", "p", map[string]any{"n": 1, "tags": []string{"x"}, "old": 1, "keep": "k"}), nil); err != nil {
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
	if _, err := c.PatchItem(ctx, pk, "a", bad, nil); StatusOf(err) != 400 {
		t.Fatalf("replace of absent path: want 400, got %v", err)
	}
	var pkChange azcosmos.PatchOperations
	pkChange.AppendSet("/pk", "q")
	if _, err := c.PatchItem(ctx, pk, "a", pkChange, nil); StatusOf(err) != 400 {
		t.Fatalf("patching the partition key: want 400, got %v", err)
	}
	var cond azcosmos.PatchOperations
	cond.SetCondition("from c where c.n = 100")
	cond.AppendSet("/x", 1)
	if _, err := c.PatchItem(ctx, pk, "a", cond, nil); StatusOf(err) != 412 {
		t.Fatalf("patch with false condition: want 412, got %v", err)
	}
	if _, err := c.PatchItem(ctx, pk, "missing", ops, nil); StatusOf(err) != 404 {
		t.Fatalf("patch missing: want 404, got %v", err)
	}
}

func testIfNoneMatchRead(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "inm")
	pk := azcosmos.NewPartitionKeyString("p")
	created, err := c.CreateItem(ctx, pk, Item("a", "p", nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, etag string
		want       int
	}{
		{"current etag", string(created.ETag), http.StatusNotModified},
		{"stale etag", `"stale"`, http.StatusOK},
	}
	for _, tc := range cases {
		resp, err := c.ReadItem(withHeader(ctx, "If-None-Match", tc.etag), pk, "a", nil)
		if err != nil || resp.RawResponse.StatusCode != tc.want {
			t.Errorf("read with If-None-Match = %s: want %d, got %v %v", tc.name, tc.want, err, resp.RawResponse)
		}
	}
}

// testIDsTheGatewayCannotAddress follows the Cosmos DB gateway: such ids are
// stored, but point operations on them fail (401: the gateway's view of the
// path no longer matches what the SDK signed; 400 for control characters).
func testIDsTheGatewayCannotAddress(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "ids")
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
		got := StatusOf(err)
		if err == nil {
			got = 200
		}
		if got != tc.readWant {
			t.Errorf("read %q: status %d, want %d", tc.id, got, tc.readWant)
		}
	}
}
