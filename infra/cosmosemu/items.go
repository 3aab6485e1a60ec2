package cosmosemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"orderctx/infra/cosmosemu/epk"
	"orderctx/infra/cosmosemu/store"
)

// Request charges are estimates in the spirit of Cosmos DB's published costs:
// a 1 KB point read costs 1 RU, a 1 KB write about 5.7 RU, growing with size.
func readCharge(size int) float64  { return 1 + float64(size/1024) }
func writeCharge(size int) float64 { return 5.71 + 2*float64(size/1024) }

func partitionKeyFrom(req *request) (store.PartitionKey, bool, *store.Error) {
	h := req.header("x-ms-documentdb-partitionkey")
	if h == "" {
		return store.PartitionKey{}, false, nil
	}
	values, err := epk.ParseHeader(h)
	if err != nil {
		return store.PartitionKey{}, false, badRequest("The partition key header x-ms-documentdb-partitionkey is invalid: %v", err)
	}
	if len(values) == 0 {
		return store.PartitionKey{}, false, nil
	}
	return store.NewPartitionKey(values), true, nil
}

func requirePartitionKey(req *request) (store.PartitionKey, *store.Error) {
	pk, ok, err := partitionKeyFrom(req)
	if err != nil {
		return pk, err
	}
	if !ok {
		return pk, badRequest("PartitionKey value must be supplied for this operation (header x-ms-documentdb-partitionkey).")
	}
	return pk, nil
}

func isTrue(v string) bool { return strings.EqualFold(v, "true") }

func minimal(req *request) bool {
	return strings.Contains(req.header("Prefer"), "return=minimal")
}

func (s *Server) sessionToken(c *store.Container, pk store.PartitionKey) string {
	rangeID, err := c.RangeOf(pk)
	if err != nil {
		rangeID = "0"
	}
	return rangeID + ":-1#" + strconv.FormatUint(c.CurrentLSN(), 10)
}

// item serves point operations on one item.
func (s *Server) item(req *request, c *store.Container, id string) {
	pk, err := requirePartitionKey(req)
	if err != nil {
		s.fail(req, err)
		return
	}
	op := store.Op{ID: id, IfMatch: req.header("If-Match")}
	switch req.method {
	case http.MethodGet:
		d, err := c.ReadItem(pk, id)
		req.session = s.sessionToken(c, pk)
		if err != nil {
			s.fail(req, err)
			return
		}
		req.charge = readCharge(len(d.Body))
		if inm := req.header("If-None-Match"); inm != "" && (inm == d.ETag || inm == "*") {
			s.headers(req, false)
			req.setHeader("Etag", d.ETag)
			req.writeHeader(http.StatusNotModified)
			return
		}
		s.writeDoc(req, 200, d, false)
		return
	case http.MethodPut:
		op.Kind = store.OpReplace
	case http.MethodDelete:
		op.Kind = store.OpDelete
	case http.MethodPatch:
		op.Kind = store.OpPatch
	default:
		s.fail(req, &store.Error{Status: 405, Code: "MethodNotAllowed", Message: "The method is not allowed on an item."})
		return
	}
	if op.Kind == store.OpReplace || op.Kind == store.OpPatch {
		body, berr := req.body(store.MaxItemBytes)
		if berr != nil {
			s.fail(req, berr)
			return
		}
		op.Body, op.Patch = body, body
	}
	s.executeOne(req, c, pk, op)
}

func (s *Server) executeOne(req *request, c *store.Container, pk store.PartitionKey, op store.Op) {
	results, _ := c.Execute(pk, []store.Op{op})
	res := results[0]
	req.session = s.sessionToken(c, pk)
	if res.Err != nil {
		s.fail(req, res.Err)
		return
	}
	if res.Doc == nil {
		req.charge = writeCharge(0)
		s.headers(req, false)
		req.writeHeader(res.Status)
		return
	}
	req.charge = writeCharge(len(res.Doc.Body))
	s.writeDoc(req, res.Status, res.Doc, minimal(req))
}

func (s *Server) writeDoc(req *request, status int, d *store.Doc, noBody bool) {
	s.headers(req, true)
	req.setHeader("Etag", d.ETag)
	req.setHeader("X-Ms-Item-Lsn", strconv.FormatUint(d.LSN, 10))
	if noBody {
		req.setHeader("Content-Length", "0")
		req.writeHeader(status)
		return
	}
	req.setHeader("Content-Length", strconv.Itoa(len(d.Body)))
	req.writeHeader(status)
	req.write(d.Body)
}

// docsFeed serves the items feed: create and upsert, queries, transactional
// batches, the change feed and plain enumeration.
func (s *Server) docsFeed(req *request, c *store.Container) {
	switch {
	case req.method == http.MethodPost && isTrue(req.header("x-ms-cosmos-is-batch-request")):
		s.batch(req, c)
	case isQuery(req):
		s.query(req, c)
	case req.method == http.MethodPost:
		pk, err := requirePartitionKey(req)
		if err != nil {
			s.fail(req, err)
			return
		}
		body, berr := req.body(store.MaxItemBytes)
		if berr != nil {
			s.fail(req, berr)
			return
		}
		kind := store.OpCreate
		if isTrue(req.header("x-ms-documentdb-is-upsert")) {
			kind = store.OpUpsert
		}
		s.executeOne(req, c, pk, store.Op{Kind: kind, Body: body, IfMatch: req.header("If-Match")})
	case req.method == http.MethodGet && req.header("A-IM") != "":
		s.changeFeed(req, c)
	case req.method == http.MethodGet:
		s.readFeed(req, c)
	default:
		s.fail(req, &store.Error{Status: 405, Code: "MethodNotAllowed", Message: "The method is not allowed on the items feed."})
	}
}

// changeFeed serves one page of a range's change feed, latest-version mode.
func (s *Server) changeFeed(req *request, c *store.Container) {
	if !strings.EqualFold(req.header("A-IM"), "Incremental feed") {
		s.fail(req, badRequest("Only the Incremental feed (latest version) change feed mode is supported."))
		return
	}
	pk, hasPK, err := partitionKeyFrom(req)
	if err != nil {
		s.fail(req, err)
		return
	}
	fr := store.FeedRequest{RangeID: req.header("x-ms-documentdb-partitionkeyrangeid"), Max: 100}
	if hasPK {
		fr.PartitionKey = &pk
		if fr.RangeID == "" {
			fr.RangeID, _ = c.RangeOf(pk)
		}
	}
	if fr.RangeID == "" {
		ids := c.RangeIDs()
		if len(ids) != 1 {
			s.fail(req, badRequest("The change feed of a container with several partition key ranges must name one (x-ms-documentdb-partitionkeyrangeid) or a partition key."))
			return
		}
		fr.RangeID = ids[0]
	}
	if v := req.header("x-ms-max-item-count"); v != "" {
		n, perr := strconv.Atoi(v)
		switch {
		case perr != nil || n == 0 || n < -1:
			s.fail(req, badRequest("x-ms-max-item-count must be a positive number or -1."))
			return
		case n == -1 || n > 10000:
			fr.Max = 10000
		default:
			fr.Max = n
		}
	}
	switch inm := req.header("If-None-Match"); {
	case inm == "*":
		fr.Now = true
	case inm != "":
		after, perr := strconv.ParseUint(strings.Trim(inm, `"`), 10, 64)
		if perr != nil {
			s.fail(req, badRequest("The change feed continuation (If-None-Match) %q is not valid.", inm))
			return
		}
		fr.After = after
	default:
		if ims := req.header("If-Modified-Since"); ims != "" {
			t, perr := http.ParseTime(ims)
			if perr != nil {
				// azcosmos formats the time as RFC 1123 with "UTC" as the zone.
				t, perr = time.Parse(time.RFC1123, ims)
			}
			if perr != nil {
				s.fail(req, badRequest("If-Modified-Since %q is not an HTTP date.", ims))
				return
			}
			fr.Since = t.Unix()
		}
	}
	page, ferr := c.ReadFeed(fr)
	if ferr != nil {
		s.fail(req, ferr)
		return
	}
	req.session = fr.RangeID + ":-1#" + strconv.FormatUint(c.CurrentLSN(), 10)
	size := 0
	docs := make([][]byte, len(page.Docs))
	for i, d := range page.Docs {
		docs[i] = d.Body
		size += len(d.Body)
	}
	req.charge = 1 + float64(size)/1024
	etag := strconv.Quote(strconv.FormatUint(page.Continuation, 10))
	if len(docs) == 0 {
		s.headers(req, false)
		req.setHeader("Etag", etag)
		req.writeHeader(http.StatusNotModified)
		return
	}
	req.setHeader("Etag", etag)
	req.setHeader("X-Ms-Item-Count", strconv.Itoa(len(docs)))
	s.writeRaw(req, 200, feedBody(c.RID(), "Documents", docs))
}

// readFeed enumerates items (GET on the feed without A-IM), as a SELECT * query.
func (s *Server) readFeed(req *request, c *store.Container) {
	s.runQuery(req, c, querySpec{Query: "SELECT * FROM root"})
}

// batchOp is one operation of a transactional batch request body.
type batchOp struct {
	OperationType string          `json:"operationType"`
	ID            string          `json:"id"`
	IfMatch       string          `json:"ifMatch"`
	IfNoneMatch   string          `json:"ifNoneMatch"`
	ResourceBody  json.RawMessage `json:"resourceBody"`
}

// batch executes a transactional batch: all or nothing in one logical
// partition, answered 200 with per-operation results, or 207 with the failing
// operation's status and 424 for the rest.
func (s *Server) batch(req *request, c *store.Container) {
	if !isTrue(req.header("x-ms-cosmos-batch-atomic")) {
		s.fail(req, badRequest("Only atomic transactional batches (x-ms-cosmos-batch-atomic: True) are supported."))
		return
	}
	pk, err := requirePartitionKey(req)
	if err != nil {
		s.fail(req, err)
		return
	}
	body, berr := req.body(maxBatchBytes)
	if berr != nil {
		s.fail(req, berr)
		return
	}
	var wire []batchOp
	if jerr := json.Unmarshal(body, &wire); jerr != nil {
		s.fail(req, badRequest("The batch request body must be a JSON array of operations: %v", jerr))
		return
	}
	if len(wire) == 0 {
		s.fail(req, badRequest("The batch request did not have any operations to be executed."))
		return
	}
	if len(wire) > maxBatchOps {
		s.fail(req, badRequest("Batch request has more operations than what is supported (%d).", maxBatchOps))
		return
	}
	ops := make([]store.Op, len(wire))
	for i, w := range wire {
		op := store.Op{Kind: w.OperationType, ID: w.ID, IfMatch: w.IfMatch, IfNoneMatch: w.IfNoneMatch}
		switch w.OperationType {
		case store.OpCreate, store.OpUpsert, store.OpReplace:
			op.Body = w.ResourceBody
		case store.OpPatch:
			op.Patch = w.ResourceBody
		case store.OpRead, store.OpDelete:
		default:
			s.fail(req, badRequest("Batch operation %d has an unknown operationType %q.", i, w.OperationType))
			return
		}
		ops[i] = op
	}
	results, ok := c.Execute(pk, ops)
	req.session = s.sessionToken(c, pk)
	if first := results[0].Err; !ok && first != nil && first.Status == http.StatusServiceUnavailable {
		// The whole batch could not be answered (the store is closing).
		s.fail(req, first)
		return
	}
	withBody := !minimal(req)
	out := make([]byte, 0, 256*len(results))
	out = append(out, '[')
	total := 0.0
	for i, res := range results {
		if i > 0 {
			out = append(out, ',')
		}
		charge := 0.0
		switch {
		case res.Status == 424:
		case ops[i].Kind == store.OpRead:
			charge = 1
		default:
			charge = writeCharge(0)
		}
		if res.Doc != nil {
			if ops[i].Kind == store.OpRead {
				charge = readCharge(len(res.Doc.Body))
			} else {
				charge = writeCharge(len(res.Doc.Body))
			}
		}
		if !ok {
			charge = 0.5 // a failed batch is still charged a little, never zero
		}
		total += charge
		out = append(out, `{"statusCode":`...)
		out = strconv.AppendInt(out, int64(res.Status), 10)
		if res.Status >= 400 && res.Err != nil && res.Err.SubStatus != 0 {
			out = append(out, `,"subStatusCode":`...)
			out = strconv.AppendInt(out, int64(res.Err.SubStatus), 10)
		}
		out = append(out, `,"requestCharge":`...)
		out = strconv.AppendFloat(out, charge, 'f', 2, 64)
		if res.Doc != nil && ok {
			out = append(out, `,"eTag":`...)
			out = strconv.AppendQuote(out, res.Doc.ETag)
			if withBody || ops[i].Kind == store.OpRead {
				out = append(out, `,"resourceBody":`...)
				out = append(out, res.Doc.Body...)
			}
		}
		out = append(out, '}')
	}
	out = append(out, ']')
	req.charge = total
	status := 200
	if !ok {
		status = http.StatusMultiStatus
	}
	s.writeRaw(req, status, out)
}
