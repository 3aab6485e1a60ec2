package queryplan_test

import (
	"reflect"
	"testing"

	"orderctx/infra/cosmosemu/queryplan"
)

// The header values the SDKs send (.NET QueryPlanRetriever's flags enum
// string, JavaScript's supportedQueryFeaturesBuilder).
const (
	dotnetFeatures = "Aggregate, Distinct, GroupBy, MultipleAggregates, MultipleOrderBy, OffsetAndLimit, OrderBy, Top, NonValueAggregate, DCount, NonStreamingOrderBy, CountIf, HybridSearch, WeightedRankFusion, HybridSearchSkipOrderByRewrite"
	jsFeatures     = "NonValueAggregate,Aggregate,Distinct,MultipleOrderBy,OffsetAndLimit,OrderBy,Top,CompositeAggregate,GroupBy,MultipleAggregates,NonStreamingOrderBy,ListAndSetAggregate,CountIf,HybridSearch,WeightedRankFusion,HybridSearchSkipOrderByRewrite"
)

func TestMissingFeatures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query, declared string
		missing               []string
	}{
		{"plain filter needs nothing", "SELECT * FROM c WHERE c.n > 1", "", nil},
		{".NET runs ORDER BY", "SELECT * FROM c ORDER BY c.n", dotnetFeatures, nil},
		{"JavaScript runs GROUP BY with aggregates", "SELECT c.g, COUNT(1) AS n, MAX(c.n) AS m FROM c GROUP BY c.g", jsFeatures, nil},
		{"ORDER BY undeclared", "SELECT * FROM c ORDER BY c.n", "Aggregate,Top", []string{"OrderBy"}},
		{"two keys need MultipleOrderBy", "SELECT * FROM c ORDER BY c.n, c.m", "OrderBy", []string{"MultipleOrderBy"}},
		{"VALUE aggregate", "SELECT VALUE COUNT(1) FROM c", "", []string{"Aggregate"}},
		{"one aggregate without VALUE", "SELECT COUNT(1) AS n FROM c", "Aggregate", []string{"NonValueAggregate"}},
		{"several aggregates", "SELECT COUNT(1) AS n, SUM(c.n) AS s FROM c", "NonValueAggregate", []string{"MultipleAggregates"}},
		{"TOP, DISTINCT and OFFSET", "SELECT DISTINCT c.n FROM c OFFSET 1 LIMIT 2", "Top", []string{"Distinct", "OffsetAndLimit"}},
		{"GROUP BY", "SELECT c.g FROM c GROUP BY c.g", "OrderBy", []string{"GroupBy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := planFor(t, tc.query, nil, []string{"/pk"}).Missing(queryplan.ParseFeatures(tc.declared))
			if !reflect.DeepEqual(got, tc.missing) {
				t.Fatalf("missing %v, want %v", got, tc.missing)
			}
		})
	}
}

func TestRefusalMessage(t *testing.T) {
	t.Parallel()
	got := queryplan.RefusalMessage([]string{"OrderBy", "Top"})
	want := "Query contains 1 or more unsupported features. Upgrade your SDK to a version that does support the requested features:" +
		"\r\nQuery contained OrderBy, which the calling client does not support." +
		"\r\nQuery contained Top, which the calling client does not support."
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
