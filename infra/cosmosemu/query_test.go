package cosmosemu_test

import (
	"context"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// TestQueryUnsupportedFeaturesAreNamed: constructs outside the server's
// subset get a 400 whose message names them, within one partition key.
func TestQueryUnsupportedFeaturesAreNamed(t *testing.T) {
	t.Parallel()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "unsupported")
	pk := azcosmos.NewPartitionKeyString("s")
	if _, err := c.CreateItem(context.Background(), pk, cosmostest.Item("i1", "s", map[string]any{"name": "apple", "n": 10, "grp": 2, "tags": []string{"red", "green"}}), nil); err != nil {
		t.Fatal(err)
	}
	const notSupported = " is not supported by this Cosmos DB emulator"
	cases := []struct {
		query string
		want  string // the message contains this
	}{
		{"SELECT VALUE t FROM c JOIN t IN c.tags", "JOIN" + notSupported},
		{"SELECT VALUE c.id FROM c WHERE EXISTS (SELECT VALUE t FROM t IN c.tags WHERE t = 'red')", "EXISTS subqueries" + notSupported},
		{"SELECT (SELECT VALUE 1) AS one FROM c", "subqueries" + notSupported},
		{"SELECT ARRAY(SELECT VALUE t FROM t IN c.tags) AS ts FROM c", "ARRAY subqueries" + notSupported},
		{"SELECT * FROM (SELECT * FROM c) x", "a subquery in FROM" + notSupported},
		{"SELECT VALUE c.id FROM c WHERE c.n IN (SELECT VALUE 10)", "a subquery in IN" + notSupported},
		{"SELECT VALUE t FROM t IN c.tags", "FROM ... IN ... (iteration over an array)" + notSupported},
		{"SELECT VALUE c.id FROM c WHERE c.name LIKE 'a%'", "LIKE" + notSupported},
		{"SELECT VALUE ROUND(c.n) FROM c", "the system function ROUND" + notSupported},
		{"SELECT VALUE udf.double(c.n) FROM c", "user-defined functions (udf.)" + notSupported},
		{"SELECT c.grp, COUNT(1) AS n FROM c GROUP BY c.grp ORDER BY c.grp", "GROUP BY cannot be combined with ORDER BY"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			_, err := cosmostest.QueryValues(t, c, tc.query, pk, nil)
			qe := cosmostest.ErrorOf(t, err)
			if qe.Status != 400 || qe.Code != "BadRequest" || !strings.Contains(qe.Message, tc.want) {
				t.Fatalf("want 400 BadRequest naming %q, got %+v", tc.want, qe)
			}
		})
	}
}
