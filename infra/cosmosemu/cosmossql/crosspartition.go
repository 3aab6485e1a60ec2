package cosmossql

import "strings"

// CrossPartitionMessage is the text of the HTTP 400 the Cosmos DB gateway
// returns for a query that spans partitions but needs client-side query
// planning (TOP, ORDER BY, OFFSET LIMIT, DISTINCT, VALUE aggregates). It is
// the message SDKs recognise; azcosmos v1.5.0's own tests match on its
// "cross partition query can not be directly served by the gateway" part.
const CrossPartitionMessage = "The provided cross partition query can not be directly served by the gateway. " +
	"This is a first chance (internal) exception that all newer clients will know how to handle gracefully. " +
	"This exception is traced, but unless you see it bubble up as an exception (which only happens on older SDK clients), " +
	"then you can safely ignore this message."

// CrossPartitionSubstatus is the x-ms-substatus header value that comes with
// CrossPartitionMessage.
const CrossPartitionSubstatus = 1004

// CrossPartitionAggregateMessage is the text of the different HTTP 400 the
// gateway returns for a cross-partition query whose aggregate is not of the
// form SELECT VALUE <aggregate>(...) (including GROUP BY with aggregates).
// The spelling "AggreateFunc" is the service's own. No substatus is known for
// it.
const CrossPartitionAggregateMessage = "Cross partition query only supports 'VALUE <AggreateFunc>' for aggregates."

// CrossPartitionBlocker reports why the Cosmos DB gateway could not serve
// this query directly across partitions: a comma-separated list of the
// clauses that need a client-side query plan (TOP, DISTINCT, aggregates,
// GROUP BY, ORDER BY, OFFSET LIMIT). It returns "" when the query is a simple
// filter/projection that the gateway serves page by page per partition range.
func (q *Query) CrossPartitionBlocker() string {
	var reasons []string
	if q.top != nil {
		reasons = append(reasons, "TOP")
	}
	if q.distinct {
		reasons = append(reasons, "DISTINCT")
	}
	if len(q.aggs) > 0 {
		reasons = append(reasons, "aggregate functions")
	}
	if len(q.groupBy) > 0 {
		reasons = append(reasons, "GROUP BY")
	}
	if len(q.orderBy) > 0 {
		reasons = append(reasons, "ORDER BY")
	}
	if q.offset != nil {
		reasons = append(reasons, "OFFSET LIMIT")
	}
	return strings.Join(reasons, ", ")
}

// CrossPartitionRefusal returns the error message and x-ms-substatus value
// the gateway answers (with HTTP 400) when this query is sent across
// partitions without a partition key or range, or ("", 0) when the gateway
// serves it. Aggregates that are not a bare SELECT VALUE aggregate, and GROUP
// BY with aggregates, get CrossPartitionAggregateMessage with substatus 0
// (unknown); everything else CrossPartitionBlocker names gets
// CrossPartitionMessage with CrossPartitionSubstatus.
func (q *Query) CrossPartitionRefusal() (message string, substatus int) {
	if q.CrossPartitionBlocker() == "" {
		return "", 0
	}
	if len(q.aggs) > 0 {
		if _, bare := q.value.(*aggregateExpr); q.kind != selectValue || !bare || len(q.groupBy) > 0 {
			return CrossPartitionAggregateMessage, 0
		}
	}
	return CrossPartitionMessage, CrossPartitionSubstatus
}
