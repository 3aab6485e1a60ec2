package cosmossql

import "strings"

// Plan is what the Cosmos DB gateway's query plan says about a query, for
// clients that run a query across partitions themselves: they send
// RewrittenQuery (or the query itself when it is empty) to every partition
// key range and then sort, deduplicate, aggregate and page the results as the
// other fields say. The field meanings follow the gateway's
// partitionedQueryExecutionInfo.queryInfo document.
type Plan struct {
	// DistinctType is "None", "Ordered" (DISTINCT with ORDER BY) or
	// "Unordered".
	DistinctType string
	// Top, Offset and Limit are the resolved counts, nil when absent.
	Top, Offset, Limit *int64
	// OrderBy holds "Ascending" or "Descending" per ORDER BY key, and
	// OrderByExpressions the keys in canonical spelling.
	OrderBy, OrderByExpressions []string
	GroupByExpressions          []string
	// GroupByAliases and AliasAggregates describe a SELECT list that is
	// grouped or aggregated: every output name, and the aggregate behind it
	// ("" for a plain expression).
	GroupByAliases  []string
	AliasAggregates []string
	// Aggregates names the aggregate of a SELECT VALUE aggregate: "Count",
	// "Sum", "Min", "Max" or "Average".
	Aggregates     []string
	RewrittenQuery string
	HasSelectValue bool
}

// OrderByFilter is the placeholder of a rewritten ORDER BY query that a
// client replaces with "true", or with the condition that resumes the query
// after the last item it has seen.
const OrderByFilter = "{documentdb-formattableorderbyquery-filter}"

// aggregateTypes maps aggregate functions to the names the plan uses.
var aggregateTypes = map[string]string{"COUNT": "Count", "SUM": "Sum", "MIN": "Min", "MAX": "Max", "AVG": "Average"}

// Plan returns the query plan of the query with the given parameters (TOP,
// OFFSET and LIMIT may be parameters; the plan holds their values) for a
// container partitioned on pkPaths. An aggregate inside a larger expression
// cannot be merged across partitions and is refused, as the gateway refuses
// it.
func (q *Query) Plan(params map[string]any, pkPaths []string) (*Plan, error) {
	en := &env{params: map[string]any{}}
	for _, name := range q.params {
		if v, ok := params[name]; ok {
			en.params[name] = normalizeParam(v)
		}
	}
	top, offset, limit, err := q.counts(en)
	if err != nil {
		return nil, err
	}
	if err := q.checkAggregatePlacement(); err != nil {
		return nil, err
	}
	if !q.hasFrom {
		// A query without FROM reads no partition: nothing to merge.
		return &Plan{DistinctType: "None", HasSelectValue: q.kind == selectValue}, nil
	}
	if _, pinned := q.PartitionKeyValues(pkPaths, params); pinned && len(q.aggs) == 0 && len(q.groupBy) == 0 && !q.distinct {
		// One partition pages the query itself.
		offset, limit = -1, -1
	}
	p := &Plan{DistinctType: "None", HasSelectValue: q.kind == selectValue,
		Top: count(top), Offset: count(offset), Limit: count(limit)}
	if q.distinct {
		p.DistinctType = "Unordered"
		if len(q.orderBy) > 0 {
			p.DistinctType = "Ordered"
		}
	}
	for _, o := range q.orderBy {
		p.OrderBy = append(p.OrderBy, map[bool]string{false: "Ascending", true: "Descending"}[o.desc])
		p.OrderByExpressions = append(p.OrderByExpressions, sqlOf(o.e))
	}
	for _, g := range q.groupBy {
		p.GroupByExpressions = append(p.GroupByExpressions, sqlOf(g))
	}
	q.describeAggregates(p)
	p.RewrittenQuery = q.rewrite(top, offset, limit)
	return p, nil
}

func count(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

// checkAggregatePlacement refuses an aggregate that is not a whole SELECT
// VALUE or a whole SELECT list item: per-partition results of COUNT(1) + 1
// cannot be combined.
func (q *Query) checkAggregatePlacement() error {
	for _, e := range q.selectExprs() {
		if _, whole := e.(*aggregateExpr); whole {
			continue
		}
		nested := false
		walk(e, func(n expr) bool {
			_, isAgg := n.(*aggregateExpr)
			nested = nested || isAgg
			return !nested
		})
		if nested {
			return errorf("Compositions of aggregates and other expressions are not allowed.")
		}
	}
	return nil
}

// describeAggregates fills the aggregate fields: a SELECT VALUE aggregate
// is named in Aggregates; a grouped or aggregated SELECT list is described
// alias by alias.
func (q *Query) describeAggregates(p *Plan) {
	if q.kind == selectValue {
		if a, ok := q.value.(*aggregateExpr); ok {
			p.Aggregates = []string{aggregateTypes[a.name]}
		}
		return
	}
	if q.kind != selectList || (len(q.aggs) == 0 && len(q.groupBy) == 0) {
		return
	}
	for _, it := range q.items {
		p.GroupByAliases = append(p.GroupByAliases, it.name)
		agg := ""
		if a, ok := it.e.(*aggregateExpr); ok {
			agg = aggregateTypes[a.name]
		}
		p.AliasAggregates = append(p.AliasAggregates, agg)
	}
}

// rewrite returns the query each partition key range runs, or "" when that
// is the query itself.
func (q *Query) rewrite(top, offset, limit int64) string {
	grouped := len(q.aggs) > 0 || len(q.groupBy) > 0
	whole := grouped || q.distinct
	if len(q.orderBy) == 0 && !grouped && offset < 0 && !(q.distinct && top >= 0) {
		return ""
	}
	// Every partition must return all it has when the client deduplicates
	// or aggregates; otherwise the first OFFSET+LIMIT results of each.
	if whole {
		top, offset = -1, -1
	} else if offset >= 0 {
		offset, limit = 0, offset+limit
	}
	s := q.canonical(top, offset, limit)
	switch {
	case len(q.orderBy) > 0:
		q.rewriteOrderBy(&s)
	case len(q.groupBy) > 0:
		s.selection = "[" + itemList(q.groupBy) + "] AS groupByItems, " + q.aggregatePayload() + " AS payload"
	case len(q.aggs) > 0 && q.kind == selectValue:
		s.selection = "VALUE " + q.aggregatePayload()
	case len(q.aggs) > 0:
		s.selection = q.aggregatePayload() + " AS payload"
	}
	return s.String()
}

// rewriteOrderBy turns the query into the form that returns, per item, its
// _rid, its sort keys and its projection, with the filter placeholder in
// WHERE. DISTINCT moves to the client.
func (q *Query) rewriteOrderBy(s *sqlQuery) {
	keys := make([]expr, len(q.orderBy))
	for i, o := range q.orderBy {
		keys[i] = o.e
	}
	s.distinct = false
	s.selection = q.alias + "._rid, [" + itemList(keys) + "] AS orderByItems, " + q.projection() + " AS payload"
	filter := "(" + OrderByFilter + ")"
	if s.where != "" {
		filter = "(" + s.where + " AND " + filter + ")"
	}
	if q.kind == selectValue {
		// An item whose VALUE is undefined yields no result.
		filter = "(" + filter + " AND IS_DEFINED(" + sqlOf(q.value) + "))"
	}
	s.where = filter
}

// projection is what the SELECT clause makes of an item: the item itself,
// its VALUE, or an object of the SELECT list.
func (q *Query) projection() string {
	switch q.kind {
	case selectStar:
		return q.alias
	case selectValue:
		return sqlOf(q.value)
	}
	parts := make([]string, len(q.items))
	for i, it := range q.items {
		parts[i] = sqlString(it.name) + ": " + sqlOf(it.e)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// aggregatePayload is the SELECT clause of an aggregated query with every
// aggregate replaced by the partial result a client can combine.
func (q *Query) aggregatePayload() string {
	if q.kind == selectValue {
		if a, ok := q.value.(*aggregateExpr); ok {
			return "[{" + partialAggregate(a) + "}]"
		}
		return sqlOf(q.value)
	}
	parts := make([]string, len(q.items))
	for i, it := range q.items {
		v := sqlOf(it.e)
		if a, ok := it.e.(*aggregateExpr); ok {
			v = "{" + partialAggregate(a) + "}"
		}
		parts[i] = sqlString(it.name) + ": " + v
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// partialAggregate is the "item" member (and for MIN and MAX the "item2"
// member) holding one partition's share of an aggregate: AVG as its sum and
// count, MIN and MAX with the count that tells "no value" from undefined.
func partialAggregate(a *aggregateExpr) string {
	arg := sqlOf(a.arg)
	switch a.name {
	case "AVG":
		return `"item": {"sum": SUM(` + arg + `), "count": COUNT(` + arg + `)}`
	case "MIN", "MAX":
		lower := strings.ToLower(a.name)
		return `"item": ` + sqlOf(a) + `, "item2": {"` + lower + `": ` + a.name + "(" + arg + `), "count": COUNT(` + arg + `)}`
	}
	return `"item": ` + sqlOf(a)
}

// itemList renders expressions as the objects {"item": e}, ...
func itemList(es []expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = `{"item": ` + sqlOf(e) + "}"
	}
	return strings.Join(parts, ", ")
}
