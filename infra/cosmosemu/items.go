package cosmosemu

import (
	"net/http"
	"strconv"

	"orderctx/infra/cosmosemu/store"
)

// Request charges are estimates in the spirit of Cosmos DB's published costs:
// a 1 KB point read costs 1 RU, a 1 KB write about 5.7 RU, growing with size.
func readCharge(size int) float64  { return 1 + float64(size/1024) }
func writeCharge(size int) float64 { return 5.71 + 2*float64(size/1024) }

func (s *Server) sessionToken(c *store.Container, pk store.PartitionKey) string {
	rangeID, err := c.RangeOf(pk)
	if err != nil {
		rangeID = "0"
	}
	return rangeID + ":-1#" + strconv.FormatUint(c.CurrentLSN(), 10)
}

// docsFeed serves the items feed: create and upsert, queries, transactional
// batches, the change feed and plain enumeration.
func (s *Server) docsFeed(req *request, c *store.Container) error {
	switch {
	case req.method == http.MethodPost && isTrue(req.header("x-ms-cosmos-is-batch-request")):
		return s.batch(req, c)
	case isQuery(req):
		return s.query(req, c)
	case req.method == http.MethodPost:
		return s.createItem(req, c)
	case req.method == http.MethodGet && req.header("A-IM") != "":
		return s.changeFeed(req, c)
	case req.method == http.MethodGet:
		return s.readFeed(req, c)
	}
	return methodNotAllowed("the items feed")
}

// createItem creates an item, or upserts it with x-ms-documentdb-is-upsert.
func (s *Server) createItem(req *request, c *store.Container) error {
	pk, err := requirePartitionKey(req)
	if err != nil {
		return err
	}
	body, err := req.body(store.MaxItemBytes)
	if err != nil {
		return err
	}
	kind := store.OpCreate
	if isTrue(req.header("x-ms-documentdb-is-upsert")) {
		kind = store.OpUpsert
	}
	return s.executeOne(req, c, pk, store.Op{Kind: kind, Body: body, IfMatch: req.header("If-Match")})
}

// item serves point operations on one item.
func (s *Server) item(req *request, c *store.Container, id string) error {
	pk, err := requirePartitionKey(req)
	if err != nil {
		return err
	}
	op := store.Op{ID: id, IfMatch: req.header("If-Match")}
	switch req.method {
	case http.MethodGet:
		return s.readItem(req, c, pk, id)
	case http.MethodPut:
		op.Kind = store.OpReplace
	case http.MethodDelete:
		op.Kind = store.OpDelete
	case http.MethodPatch:
		op.Kind = store.OpPatch
	default:
		return methodNotAllowed("an item")
	}
	if op.Kind == store.OpReplace || op.Kind == store.OpPatch {
		body, err := req.body(store.MaxItemBytes)
		if err != nil {
			return err
		}
		op.Body, op.Patch = body, body
	}
	return s.executeOne(req, c, pk, op)
}

// readItem answers a point read: 304 when If-None-Match names the current
// version.
func (s *Server) readItem(req *request, c *store.Container, pk store.PartitionKey, id string) error {
	d, err := c.ReadItem(pk, id)
	req.session = s.sessionToken(c, pk)
	if err != nil {
		return err
	}
	req.charge = readCharge(len(d.Body))
	if inm := req.header("If-None-Match"); inm != "" && (inm == d.ETag || inm == "*") {
		req.setHeader("Etag", d.ETag)
		s.writeStatus(req, http.StatusNotModified)
		return nil
	}
	s.writeDoc(req, 200, d, false)
	return nil
}

// executeOne runs one write and answers its result.
func (s *Server) executeOne(req *request, c *store.Container, pk store.PartitionKey, op store.Op) error {
	results, _ := c.Execute(pk, []store.Op{op})
	res := results[0]
	req.session = s.sessionToken(c, pk)
	if res.Err != nil {
		return res.Err
	}
	if res.Doc == nil {
		req.charge = writeCharge(0)
		s.writeStatus(req, res.Status)
		return nil
	}
	req.charge = writeCharge(len(res.Doc.Body))
	s.writeDoc(req, res.Status, res.Doc, minimal(req))
	return nil
}
