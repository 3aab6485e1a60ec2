// Package queryplan builds the Cosmos DB gateway's query plan document: the
// answer to a query request with x-ms-cosmos-is-query-plan-request: True,
// which SDKs that run cross-partition queries themselves (.NET off Windows,
// JavaScript, Java, Python) fetch before a query without a partition key.
// The plan tells them which query to send to every partition key range
// (rewrittenQuery) and how to merge the answers (ORDER BY, TOP, OFFSET
// LIMIT, DISTINCT, aggregates, GROUP BY); queryRanges tells them which
// ranges to ask. The query analysis itself is cosmossql's (Query.Plan).
package queryplan

import (
	"bytes"
	"encoding/json"

	"orderctx/infra/cosmosemu/cosmossql"
)

// Version is the partitionedQueryExecutionInfoVersion the gateway sends.
const Version = 2

// Document is the gateway's partitionedQueryExecutionInfo, field for field.
type Document struct {
	Version     int       `json:"partitionedQueryExecutionInfoVersion"`
	QueryInfo   QueryInfo `json:"queryInfo"`
	QueryRanges []Range   `json:"queryRanges"`
}

// QueryInfo is the queryInfo member of a plan. Lists are never null, as in
// the gateway's answers; dCountInfo (DISTINCT counts through a subquery,
// which the server does not run) is always null.
type QueryInfo struct {
	DistinctType                string             `json:"distinctType"`
	Top                         *int64             `json:"top"`
	Offset                      *int64             `json:"offset"`
	Limit                       *int64             `json:"limit"`
	OrderBy                     []string           `json:"orderBy"`
	OrderByExpressions          []string           `json:"orderByExpressions"`
	GroupByExpressions          []string           `json:"groupByExpressions"`
	GroupByAliases              []string           `json:"groupByAliases"`
	Aggregates                  []string           `json:"aggregates"`
	GroupByAliasToAggregateType map[string]*string `json:"groupByAliasToAggregateType"`
	RewrittenQuery              string             `json:"rewrittenQuery"`
	HasSelectValue              bool               `json:"hasSelectValue"`
	DCountInfo                  *struct{}          `json:"dCountInfo"`
	HasNonStreamingOrderBy      bool               `json:"hasNonStreamingOrderBy"`
}

// Range is a range of effective partition keys (upper-case hex strings;
// "" is the lowest, "FF" above the highest).
type Range struct {
	Min            string `json:"min"`
	Max            string `json:"max"`
	IsMinInclusive bool   `json:"isMinInclusive"`
	IsMaxInclusive bool   `json:"isMaxInclusive"`
}

// FullRange is every effective partition key: the range of a query that no
// partition key filter narrows.
var FullRange = Range{Min: "", Max: "FF", IsMinInclusive: true, IsMaxInclusive: false}

// PointRange is the one effective partition key of a query whose filter
// pins the whole partition key.
func PointRange(epk string) Range {
	return Range{Min: epk, Max: epk, IsMinInclusive: true, IsMaxInclusive: true}
}

// New assembles the plan document of p over ranges.
func New(p *cosmossql.Plan, ranges []Range) Document {
	qi := QueryInfo{
		DistinctType:                p.DistinctType,
		Top:                         p.Top,
		Offset:                      p.Offset,
		Limit:                       p.Limit,
		OrderBy:                     list(p.OrderBy),
		OrderByExpressions:          list(p.OrderByExpressions),
		GroupByExpressions:          list(p.GroupByExpressions),
		GroupByAliases:              list(p.GroupByAliases),
		Aggregates:                  list(p.Aggregates),
		GroupByAliasToAggregateType: map[string]*string{},
		RewrittenQuery:              p.RewrittenQuery,
		HasSelectValue:              p.HasSelectValue,
	}
	for i, alias := range p.GroupByAliases {
		var agg *string
		if a := p.AliasAggregates[i]; a != "" {
			agg = &a
		}
		qi.GroupByAliasToAggregateType[alias] = agg
	}
	return Document{Version: Version, QueryInfo: qi, QueryRanges: ranges}
}

func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON is the document as the gateway writes it (with < > & as they are,
// not escaped for HTML).
func (d Document) JSON() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		// Every field is a string, number, bool or list of strings.
		panic("queryplan: marshal: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
