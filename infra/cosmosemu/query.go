package cosmosemu

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
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

func readQuerySpec(req *request) (querySpec, *store.Error) {
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

func (s *Server) query(req *request, c *store.Container) {
	spec, err := readQuerySpec(req)
	if err != nil {
		s.fail(req, err)
		return
	}
	s.runQuery(req, c, spec)
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

func (s *Server) runQuery(req *request, c *store.Container, spec querySpec) {
	started := time.Now()
	q, perr := s.parseQuery(spec.Query)
	if perr != nil {
		s.fail(req, badRequest("%s", perr.Error()))
		return
	}
	var cont queryContinuation
	if v := req.header("x-ms-continuation"); v != "" {
		if json.Unmarshal([]byte(v), &cont) != nil || cont.Skip < 0 {
			s.fail(req, badRequest("The continuation token %q is not valid.", v))
			return
		}
	}
	pageSize := 100
	if v := req.header("x-ms-max-item-count"); v != "" {
		n, aerr := strconv.Atoi(v)
		switch {
		case aerr != nil || n == 0 || n < -1:
			s.fail(req, badRequest("x-ms-max-item-count must be a positive number or -1."))
			return
		case n == -1:
			pageSize = 1 << 30
		default:
			pageSize = n
		}
	}
	pk, hasPK, kerr := partitionKeyFrom(req)
	if kerr != nil {
		s.fail(req, kerr)
		return
	}
	rangeID := req.header("x-ms-documentdb-partitionkeyrangeid")
	if !hasPK && rangeID == "" {
		// The gateway routes a query whose WHERE pins the partition key to
		// that one partition, so it is served in full there.
		if values, ok := q.PartitionKeyValues(c.PartitionKeyPaths(), spec.params()); ok {
			pk, hasPK = store.NewPartitionKey(values), true
		}
	}
	var docs []*store.Doc
	var ranges []string
	switch {
	case hasPK:
		var derr error
		if ids, ok := q.IDValues(spec.params()); ok {
			docs, derr = c.PartitionDocsByID(pk, ids)
		} else {
			docs, derr = c.PartitionDocs(pk)
		}
		if derr != nil {
			s.fail(req, derr)
			return
		}
		req.session = s.sessionToken(c, pk)
	default:
		ranges = c.RangeIDs()
		if rangeID != "" {
			ranges = []string{rangeID}
		}
		if len(ranges) > 1 || rangeID == "" {
			if !isTrue(req.header("x-ms-documentdb-query-enablecrosspartition")) {
				s.fail(req, badRequest("Cross partition query is required but disabled. Please set x-ms-documentdb-query-enablecrosspartition to true, specify x-ms-documentdb-partitionkey, or revise your query to avoid this exception."))
				return
			}
			if msg, sub := q.CrossPartitionRefusal(); msg != "" {
				s.fail(req, &store.Error{Status: 400, SubStatus: sub, Code: "BadRequest", Message: msg + " (" + q.CrossPartitionBlocker() + ")"})
				return
			}
		}
		if cont.Range == "" {
			cont.Range = ranges[0]
		}
		var derr error
		if docs, derr = c.RangeDocs(cont.Range); derr != nil {
			s.fail(req, derr)
			return
		}
		req.session = cont.Range + ":-1#" + strconv.FormatUint(c.CurrentLSN(), 10)
	}
	var out [][]byte
	var size, scanned int
	var next *queryContinuation
	var qerr error
	if q.CrossPartitionBlocker() == "" {
		out, size, scanned, next, qerr = streamPage(q, spec.params(), docs, cont, pageSize)
	} else {
		out, size, scanned, next, qerr = wholePage(q, spec.params(), docs, cont, pageSize)
	}
	if qerr != nil {
		s.fail(req, badRequest("%s", qerr.Error()))
		return
	}
	if next == nil && !hasPK {
		for i, id := range ranges {
			if id == cont.Range && i+1 < len(ranges) {
				next = &queryContinuation{Range: ranges[i+1]}
			}
		}
		if next == nil && len(out) == pageSize && len(out) > 0 {
			// The gateway streams a range without looking ahead: a full last
			// page still carries a continuation, and the next page is empty.
			next = &queryContinuation{Range: cont.Range, Skip: cont.Skip + len(out), After: lastSeq(docs)}
		}
	}
	if !hasPK && rangeID == "" && len(ranges) == 1 {
		// A single-range container answers like a single-partition query.
		if next != nil {
			next.Range = ""
		}
	}
	if next != nil {
		b, _ := json.Marshal(next)
		req.setHeader("X-Ms-Continuation", string(b))
	}
	req.setHeader("X-Ms-Item-Count", strconv.Itoa(len(out)))
	if isTrue(req.header("x-ms-documentdb-populatequerymetrics")) {
		req.setHeader("X-Ms-Documentdb-Query-Metrics", queryMetrics(scanned, len(out), size, time.Since(started)))
	}
	if isTrue(req.header("x-ms-cosmos-populateindexmetrics")) {
		// Every path is indexed here, so no index would have helped.
		req.setHeader("X-Ms-Cosmos-Index-Utilization", emptyIndexMetrics)
	}
	req.charge = 2.8 + float64(scanned)*0.05 + float64(size)/1024
	s.writeRaw(req, 200, feedBody(c.RID(), "Documents", out))
}

func lastSeq(docs []*store.Doc) uint64 {
	if len(docs) == 0 {
		return 0
	}
	return docs[len(docs)-1].Seq
}

// encodeRow returns a result's JSON: the stored body when the row is a whole
// item (SELECT *), so items come back byte for byte as written.
func encodeRow(row any, doc *store.Doc) []byte {
	if doc != nil {
		if m, ok := row.(map[string]any); ok {
			if dm, ok := doc.Value().(map[string]any); ok && reflect.ValueOf(m).Pointer() == reflect.ValueOf(dm).Pointer() {
				return doc.Body
			}
		}
	}
	b, _ := json.Marshal(row)
	return b
}

// streamPage evaluates items one by one after cont.After until the page is
// full; the continuation names the last item evaluated.
func streamPage(q *cosmossql.Query, params map[string]any, docs []*store.Doc, cont queryContinuation, pageSize int) (out [][]byte, size, scanned int, next *queryContinuation, err error) {
	start := sort.Search(len(docs), func(i int) bool { return docs[i].Seq > cont.After })
	one := make([]any, 1)
	for i := start; i < len(docs); i++ {
		if len(out) >= pageSize || (size > maxQueryPageBytes && len(out) > 0) {
			return out, size, scanned, &queryContinuation{Range: cont.Range, After: docs[i-1].Seq}, nil
		}
		d := docs[i]
		one[0] = d.Value()
		rows, err := q.Run(one, params)
		if err != nil {
			return nil, 0, 0, nil, err
		}
		scanned++
		for _, row := range rows {
			b := encodeRow(row, d)
			out = append(out, b)
			size += len(b)
		}
	}
	return out, size, scanned, nil, nil
}

// wholePage evaluates the query over every item and returns the page of
// results after cont.Skip.
func wholePage(q *cosmossql.Query, params map[string]any, docs []*store.Doc, cont queryContinuation, pageSize int) (out [][]byte, size, scanned int, next *queryContinuation, err error) {
	values := make([]any, len(docs))
	byPointer := make(map[uintptr]*store.Doc, len(docs))
	for i, d := range docs {
		v := d.Value()
		values[i] = v
		if m, ok := v.(map[string]any); ok {
			byPointer[reflect.ValueOf(m).Pointer()] = d
		}
	}
	rows, err := q.Run(values, params)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	skip := min(cont.Skip, len(rows))
	rows = rows[skip:]
	for _, row := range rows {
		if len(out) >= pageSize || (size > maxQueryPageBytes && len(out) > 0) {
			break
		}
		var d *store.Doc
		if m, ok := row.(map[string]any); ok {
			d = byPointer[reflect.ValueOf(m).Pointer()]
		}
		b := encodeRow(row, d)
		out = append(out, b)
		size += len(b)
	}
	if len(out) < len(rows) {
		next = &queryContinuation{Range: cont.Range, Skip: skip + len(out)}
	}
	return out, size, len(docs), next, nil
}
