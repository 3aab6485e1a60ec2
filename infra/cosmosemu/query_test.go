package cosmosemu_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

func queryAll(t *testing.T, c *azcosmos.ContainerClient, q string, pk azcosmos.PartitionKey, opts *azcosmos.QueryOptions) ([]map[string]any, int, error) {
	t.Helper()
	pager := c.NewQueryItemsPager(q, pk, opts)
	var out []map[string]any
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			return nil, pages, err
		}
		pages++
		for _, it := range page.Items {
			var v any = decodeAny(t, it)
			if m, ok := v.(map[string]any); ok {
				out = append(out, m)
			} else {
				out = append(out, map[string]any{"value": v})
			}
		}
	}
	return out, pages, nil
}

func TestQueriesWithinPartition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "q")
	pk := azcosmos.NewPartitionKeyString("s")
	for i := 1; i <= 25; i++ {
		if _, err := c.CreateItem(ctx, pk, item(fmt.Sprintf("e%02d", i), "s", map[string]any{"version": i, "type": []string{"a", "b"}[i%2]}), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("other"), item("x", "other", map[string]any{"version": 1}), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		query  string
		params []azcosmos.QueryParameter
		want   int
		check  func([]map[string]any) error
	}{
		{"all in partition", "SELECT * FROM c", nil, 25, nil},
		{"filter with parameter", "SELECT * FROM c WHERE c.version > @v", []azcosmos.QueryParameter{{Name: "@v", Value: 20}}, 5, nil},
		{"order by desc", "SELECT * FROM c ORDER BY c.version DESC", nil, 25, func(r []map[string]any) error {
			if r[0]["version"] != float64(25) || r[24]["version"] != float64(1) {
				return fmt.Errorf("not descending: first %v last %v", r[0]["version"], r[24]["version"])
			}
			return nil
		}},
		{"top", "SELECT TOP 3 * FROM c ORDER BY c.version", nil, 3, nil},
		{"offset limit", "SELECT * FROM c ORDER BY c.version OFFSET 10 LIMIT 5", nil, 5, func(r []map[string]any) error {
			if r[0]["version"] != float64(11) {
				return fmt.Errorf("offset wrong: %v", r[0])
			}
			return nil
		}},
		{"count", "SELECT VALUE COUNT(1) FROM c WHERE c.type = 'a'", nil, 1, func(r []map[string]any) error {
			if r[0]["value"] != float64(12) {
				return fmt.Errorf("count %v", r[0])
			}
			return nil
		}},
		{"projection", "SELECT c.id, c.version FROM c WHERE c.version = 7", nil, 1, func(r []map[string]any) error {
			if len(r[0]) != 2 || r[0]["id"] != "e07" {
				return fmt.Errorf("projection %v", r[0])
			}
			return nil
		}},
		{"max", "SELECT VALUE MAX(c.version) FROM c", nil, 1, func(r []map[string]any) error {
			if r[0]["value"] != float64(25) {
				return fmt.Errorf("max %v", r[0])
			}
			return nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := queryAll(t, c, tc.query, pk, &azcosmos.QueryOptions{QueryParameters: tc.params, PageSizeHint: 4})
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if len(rows) != tc.want {
				t.Fatalf("%d rows, want %d", len(rows), tc.want)
			}
			if tc.check != nil {
				if err := tc.check(rows); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// Paging: 25 items at 4 per page is 7 pages, each under the hint.
	rows, pages, err := queryAll(t, c, "SELECT * FROM c", pk, &azcosmos.QueryOptions{PageSizeHint: 4})
	if err != nil || len(rows) != 25 || pages != 7 {
		t.Fatalf("paging: %d rows in %d pages, %v", len(rows), pages, err)
	}
	if _, _, err := queryAll(t, c, "SELECT * FROM c WHERE", pk, nil); statusOf(err) != 400 {
		t.Fatalf("syntax error: want 400, got %v", err)
	}
}

func TestCrossPartitionQueries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{DefaultPartitions: 4})
	c := newContainer(t, client, "xq")
	for i := 0; i < 40; i++ {
		k := fmt.Sprint("k", i)
		if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(k), item("x", k, map[string]any{"n": i}), nil); err != nil {
			t.Fatal(err)
		}
	}
	rows, pages, err := queryAll(t, c, "SELECT * FROM c WHERE c.n >= 10", azcosmos.NewPartitionKey(), nil)
	if err != nil || len(rows) != 30 {
		t.Fatalf("cross-partition filter: %d rows, %v", len(rows), err)
	}
	if pages < 4 {
		t.Fatalf("cross-partition results came in %d pages, want one or more per range", pages)
	}
	for _, q := range []string{
		"SELECT * FROM c ORDER BY c.n",
		"SELECT VALUE COUNT(1) FROM c",
		"SELECT TOP 1 * FROM c",
		"SELECT DISTINCT c.n FROM c",
		"SELECT * FROM c OFFSET 1 LIMIT 2",
	} {
		_, _, err := queryAll(t, c, q, azcosmos.NewPartitionKey(), nil)
		if statusOf(err) != 400 || !strings.Contains(err.Error(), "cross partition query can not be directly served by the gateway") {
			t.Errorf("%s across partitions: want the gateway's 400, got %v", q, err)
		}
	}
	// A WHERE that pins the partition key is routed to that partition, as the gateway does.
	pinned, _, err := queryAll(t, c, "SELECT * FROM c WHERE c.pk = 'k7' ORDER BY c.n", azcosmos.NewPartitionKey(), nil)
	if err != nil || len(pinned) != 1 || pinned[0]["n"] != float64(7) {
		t.Fatalf("query pinned to one partition by WHERE: %v %v", pinned, err)
	}
	no := false
	if _, _, err := queryAll(t, c, "SELECT * FROM c", azcosmos.NewPartitionKey(), &azcosmos.QueryOptions{EnableCrossPartitionQuery: &no}); statusOf(err) != 400 {
		t.Fatalf("cross-partition disabled: want 400, got %v", err)
	}
}

// TestPagingSeesItemsAddedMeanwhile pages a partition while items are added:
// a streaming query resumes after the last item it evaluated, so nothing is
// returned twice and items created later come at the end.
func TestPagingSeesItemsAddedMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "paging")
	pk := azcosmos.NewPartitionKeyString("s")
	for i := 0; i < 10; i++ {
		if _, err := c.CreateItem(ctx, pk, item(fmt.Sprintf("a%02d", i), "s", nil), nil); err != nil {
			t.Fatal(err)
		}
	}
	pager := c.NewQueryItemsPager("SELECT * FROM c", pk, &azcosmos.QueryOptions{PageSizeHint: 4})
	seen := map[string]int{}
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			seen[decode(t, it)["id"].(string)]++
		}
		if pages == 0 {
			// Between pages: delete one seen item, add a new one.
			if _, err := c.DeleteItem(ctx, pk, "a00", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateItem(ctx, pk, item("b00", "s", nil), nil); err != nil {
				t.Fatal(err)
			}
		}
		pages++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s returned %d times", id, n)
		}
	}
	if len(seen) != 11 || seen["b00"] != 1 {
		t.Fatalf("paging returned %d items (%v), want the 10 original and the one added", len(seen), seen)
	}
}
