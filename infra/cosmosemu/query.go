package cosmosemu

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"orderctx/infra/cosmosemu/cosmossql"
	"orderctx/infra/cosmosemu/jsondepth"
	"orderctx/infra/cosmosemu/store"
)

// querySpec is the body of a query request.
type querySpec struct {
	Query      string `json:"query"`
	Parameters []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"parameters"`
}

func (q querySpec) params() map[string]any {
	if len(q.Parameters) == 0 {
		return nil
	}
	m := make(map[string]any, len(q.Parameters))
	for _, p := range q.Parameters {
		m[p.Name] = p.Value
	}
	return m
}

// readQuerySpec reads and checks the body of a query request.
func readQuerySpec(req *request) (querySpec, error) {
	var spec querySpec
	body, err := req.body(maxQueryTextBytes + 64*1024)
	if err != nil {
		return spec, err
	}
	// A parameter's value sits paramDepth levels into the body; the values
	// are held to the limit of items, which bounds the query engine's
	// recursive comparisons over them.
	const paramDepth = 3 // {"parameters":[{"value": ...}]}
	if jsondepth.Exceeds(body, jsondepth.Max+paramDepth) {
		return spec, badRequest("%v.", &jsondepth.Error{What: "A query parameter value"})
	}
	if jerr := json.Unmarshal(body, &spec); jerr != nil {
		return spec, badRequest("The query body must be a JSON object {\"query\":..., \"parameters\":[...]}: %v", jerr)
	}
	if spec.Query == "" {
		return spec, badRequest("The query text is missing.")
	}
	if len(spec.Query) > maxQueryTextBytes {
		return spec, &store.Error{Status: 413, Code: "RequestEntityTooLarge", Message: "The query text exceeds the 256 KB limit."}
	}
	return spec, nil
}

// queryContinuation is the x-ms-continuation of a query: the range being read
// (cross-partition) and how many results of it were already returned.
type queryContinuation struct {
	Range string `json:"range,omitempty"`
	// Skip counts results already returned, for queries that must see every
	// item before answering (ORDER BY, aggregates, DISTINCT, TOP, OFFSET).
	Skip int `json:"skip,omitempty"`
	// After is the sequence of the last item already evaluated, for queries
	// that stream: each page evaluates only the items after it, so paging
	// through a partition costs its size once, and items added meanwhile are
	// seen in creation order.
	After uint64 `json:"after,omitempty"`
}

const maxQueryPageBytes = 4 * 1024 * 1024

// query serves a query over a container's items.
func (s *Server) query(req *request, c *store.Container) error {
	spec, err := readQuerySpec(req)
	if err != nil {
		return err
	}
	if isTrue(req.header("x-ms-cosmos-is-query-plan-request")) {
		return s.queryPlan(req, c, spec)
	}
	return s.runQuery(req, c, spec)
}

// readFeed enumerates items (GET on the feed without A-IM), as a SELECT * query.
func (s *Server) readFeed(req *request, c *store.Container) error {
	return s.runQuery(req, c, querySpec{Query: "SELECT * FROM root"})
}

// parseQuery parses query text, remembering recent texts: applications send
// the same parameterized queries over and over.
func (s *Server) parseQuery(text string) (*cosmossql.Query, error) {
	if q, ok := s.queries.Load(text); ok {
		return q.(*cosmossql.Query), nil
	}
	q, err := cosmossql.Parse(text)
	if err != nil {
		return nil, err
	}
	if s.queryCount.Add(1) > maxCachedQueries {
		s.queries.Clear()
		s.queryCount.Store(0)
	}
	s.queries.Store(text, q)
	return q, nil
}

// maxCachedQueries bounds the parsed-query cache; past it the cache restarts.
const maxCachedQueries = 1024

// emptyIndexMetrics is the base64 JSON index-utilization report with no suggestions.
var emptyIndexMetrics = base64.StdEncoding.EncodeToString([]byte(
	`{"UtilizedSingleIndexes":[],"PotentialSingleIndexes":[],"UtilizedCompositeIndexes":[],"PotentialCompositeIndexes":[]}`))

// queryMetrics formats the x-ms-documentdb-query-metrics header Cosmos DB returns.
func queryMetrics(scanned, returned, size int, took time.Duration) string {
	ms := strconv.FormatFloat(float64(took.Microseconds())/1000, 'f', 2, 64)
	return "totalExecutionTimeInMs=" + ms + ";queryCompileTimeInMs=0.00;queryLogicalPlanBuildTimeInMs=0.00;" +
		"queryPhysicalPlanBuildTimeInMs=0.00;queryOptimizationTimeInMs=0.00;VMExecutionTimeInMs=" + ms +
		";indexLookupTimeInMs=0.00;instructionCount=0;documentLoadTimeInMs=0.00;systemFunctionExecuteTimeInMs=0.00;" +
		"userFunctionExecuteTimeInMs=0.00;retrievedDocumentCount=" + strconv.Itoa(scanned) +
		";retrievedDocumentSize=0;outputDocumentCount=" + strconv.Itoa(returned) +
		";outputDocumentSize=" + strconv.Itoa(size) + ";writeOutputTimeInMs=0.00;indexUtilizationRatio=1.00"
}

// runQuery answers one page of a query: it picks what the page reads (a
// logical partition, or one range of a cross-partition query), evaluates the
// query over it and writes the results with the continuation to the next page.
func (s *Server) runQuery(req *request, c *store.Container, spec querySpec) error {
	started := time.Now()
	q, err := s.parseQuery(spec.Query)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	cont, pageSize, err := queryPaging(req)
	if err != nil {
		return err
	}
	params := spec.params()
	t, err := s.pickTarget(req, c, q, params, &cont)
	if err != nil {
		return err
	}
	var p queryPage
	if q.CrossPartitionBlocker() == "" {
		p, err = streamPage(q, params, t.docs, cont, pageSize)
	} else {
		p, err = wholePage(q, params, t.docs, cont, pageSize)
	}
	if err != nil {
		return badRequest("%s", err.Error())
	}
	s.writeQueryPage(req, c, p, t.continuation(p, cont, pageSize), started)
	return nil
}

// queryPaging reads the continuation (x-ms-continuation) and page size
// (x-ms-max-item-count) of a query request.
func queryPaging(req *request) (queryContinuation, int, error) {
	var cont queryContinuation
	if v := req.header("x-ms-continuation"); v != "" {
		if json.Unmarshal([]byte(v), &cont) != nil || cont.Skip < 0 {
			return cont, 0, badRequest("The continuation token %q is not valid.", v)
		}
	}
	pageSize, err := maxItemCount(req, 100, 1<<30)
	return cont, pageSize, err
}

// queryTarget is what one page of a query reads: the items of one logical
// partition, or of one range of a cross-partition query.
type queryTarget struct {
	docs []*store.Doc
	// partition: the request named a partition key, or the WHERE pins one.
	partition bool
	// ranges are the ranges a cross-partition query reads in turn, rangeID
	// the one the request named, if any.
	ranges  []string
	rangeID string
}

// pickTarget picks what a query page reads. A query whose WHERE pins the
// partition key is served from that partition, as the gateway routes it.
func (s *Server) pickTarget(req *request, c *store.Container, q *cosmossql.Query, params map[string]any, cont *queryContinuation) (queryTarget, error) {
	t := queryTarget{rangeID: req.header("x-ms-documentdb-partitionkeyrangeid")}
	pk, hasPK, err := partitionKeyFrom(req)
	if err != nil {
		return t, err
	}
	if !hasPK && t.rangeID == "" {
		if values, ok := q.PartitionKeyValues(c.PartitionKeyPaths(), params); ok {
			pk, hasPK = store.NewPartitionKey(values), true
		}
	}
	if !hasPK {
		err = s.readRange(req, c, q, params, &t, cont)
		return t, err
	}
	t.partition = true
	if ids, ok := q.IDValues(params); ok {
		t.docs, err = c.PartitionDocsByID(pk, ids)
	} else {
		t.docs, err = c.PartitionDocs(pk)
	}
	if err != nil {
		return t, err
	}
	req.session = s.sessionToken(c, pk)
	return t, nil
}

// readRange sets a cross-partition query page to read the range its
// continuation names (the first range when none), after checking that the
// gateway would serve the query across partitions at all; its refusal
// carries the query plan, as the gateway's does.
func (s *Server) readRange(req *request, c *store.Container, q *cosmossql.Query, params map[string]any, t *queryTarget, cont *queryContinuation) error {
	t.ranges = c.RangeIDs()
	if t.rangeID != "" {
		t.ranges = []string{t.rangeID}
	}
	if len(t.ranges) > 1 || t.rangeID == "" {
		if !isTrue(req.header("x-ms-documentdb-query-enablecrosspartition")) {
			return badRequest("Cross partition query is required but disabled. Please set x-ms-documentdb-query-enablecrosspartition to true, specify x-ms-documentdb-partitionkey, or revise your query to avoid this exception.")
		}
		if msg, sub := q.CrossPartitionRefusal(); msg != "" {
			return &store.Error{Status: 400, SubStatus: sub, Code: "BadRequest", Message: msg + " (" + q.CrossPartitionBlocker() + ")",
				AdditionalInfo: refusalPlan(c, q, params)}
		}
	}
	if cont.Range == "" {
		cont.Range = t.ranges[0]
	}
	docs, err := rangeDocs(req, c, cont.Range)
	if err != nil {
		return err
	}
	t.docs = docs
	req.session = cont.Range + ":-1#" + strconv.FormatUint(c.CurrentLSN(), 10)
	return nil
}

// continuation is where the page after p starts, or nil after the last.
// Across partitions, a range's last page continues with the next range.
func (t *queryTarget) continuation(p queryPage, cont queryContinuation, pageSize int) *queryContinuation {
	next := p.next
	if next == nil && !t.partition {
		for i, id := range t.ranges {
			if id == cont.Range && i+1 < len(t.ranges) {
				next = &queryContinuation{Range: t.ranges[i+1]}
			}
		}
		if next == nil && len(p.out) == pageSize && len(p.out) > 0 {
			// The gateway streams a range without looking ahead: a full last
			// page still carries a continuation, and the next page is empty.
			next = &queryContinuation{Range: cont.Range, Skip: cont.Skip + len(p.out), After: lastSeq(t.docs)}
		}
	}
	if next != nil && !t.partition && t.rangeID == "" && len(t.ranges) == 1 {
		// A single-range container answers like a single-partition query.
		next.Range = ""
	}
	return next
}

// writeQueryPage writes a page of results with its continuation, the item
// count and, when asked, query and index metrics.
func (s *Server) writeQueryPage(req *request, c *store.Container, p queryPage, next *queryContinuation, started time.Time) {
	if next != nil {
		b, _ := json.Marshal(next)
		req.setHeader("X-Ms-Continuation", string(b))
	}
	req.setHeader("X-Ms-Item-Count", strconv.Itoa(len(p.out)))
	if isTrue(req.header("x-ms-documentdb-populatequerymetrics")) {
		req.setHeader("X-Ms-Documentdb-Query-Metrics", queryMetrics(p.scanned, len(p.out), p.size, time.Since(started)))
	}
	if isTrue(req.header("x-ms-cosmos-populateindexmetrics")) {
		// Every path is indexed here, so no index would have helped.
		req.setHeader("X-Ms-Cosmos-Index-Utilization", emptyIndexMetrics)
	}
	req.charge = 2.8 + float64(p.scanned)*0.05 + float64(p.size)/1024
	s.writeRaw(req, 200, feedBody(c.RID(), "Documents", p.out))
}

// rangeDocs reads the items of a range, or of the part of it between
// x-ms-start-epk and x-ms-end-epk when the request reads by effective
// partition key range (x-ms-read-key-type: EffectivePartitionKeyRange), as
// SDKs do for a part of a range after a split.
func rangeDocs(req *request, c *store.Container, rangeID string) ([]*store.Doc, error) {
	if !strings.EqualFold(req.header("x-ms-read-key-type"), "EffectivePartitionKeyRange") {
		return c.RangeDocs(rangeID)
	}
	return c.RangeDocsWithin(rangeID, req.header("x-ms-start-epk"), req.header("x-ms-end-epk"))
}
