package cosmosemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"orderctx/infra/cosmosemu/cosmossql"
	"orderctx/infra/cosmosemu/store"
)

func (s *Server) route(req *request) {
	segs, m := req.segs, req.method
	n := len(segs)
	switch {
	case n == 0 && m == http.MethodGet:
		s.account(req)
	case n >= 1 && segs[0] == "offers":
		s.offers(req)
	case n >= 1 && segs[0] == "_emulator":
		s.admin(req)
	case n >= 1 && segs[0] != "dbs":
		s.fail(req, notFound("/"+strings.Join(segs, "/")))
	case n == 1:
		s.databases(req)
	case n == 2:
		s.database(req, segs[1])
	case n == 3 && segs[2] == "colls":
		s.containers(req, segs[1])
	case n == 4 && segs[2] == "colls":
		s.containerResource(req, segs[1], segs[3])
	case n >= 5 && segs[2] == "colls":
		c, err := s.container(segs[1], segs[3])
		if err != nil {
			s.fail(req, err)
			return
		}
		switch {
		case n == 5 && segs[4] == "docs":
			s.docsFeed(req, c)
		case n == 6 && segs[4] == "docs":
			s.item(req, c, segs[5])
		case n == 5 && segs[4] == "pkranges":
			s.pkranges(req, c)
		default:
			s.fail(req, badRequest("The resource type %q is not supported by this server.", segs[4]))
		}
	default:
		s.fail(req, notFound("/"+strings.Join(segs, "/")))
	}
}

func (s *Server) container(db, coll string) (*store.Container, error) {
	d, err := s.engine.Database(db)
	if err != nil {
		return nil, err
	}
	return d.Container(coll)
}

// account answers the database account read the SDKs start with; its
// locations point back at the address the client used.
func (s *Server) account(req *request) {
	scheme := "http"
	if req.x.isTLS() {
		scheme = "https"
	}
	host := req.x.host()
	if strings.HasPrefix(host, "localhost:") {
		// The emulator advertises its loopback address, not the name used.
		host = "127.0.0.1:" + strings.TrimPrefix(host, "localhost:")
	}
	endpoint := scheme + "://" + host + "/"
	loc := []map[string]any{{"name": "South Central US", "databaseAccountEndpoint": endpoint}}
	s.writeJSON(req, 200, map[string]any{
		"_self": "", "id": "localhost", "_rid": "localhost", "media": "//media/", "addresses": "//addresses/", "_dbs": "//dbs/",
		"writableLocations": loc, "readableLocations": loc, "enableMultipleWriteLocations": false,
		"userReplicationPolicy":   map[string]any{"asyncReplication": false, "minReplicaSetSize": 1, "maxReplicasetSize": 4},
		"userConsistencyPolicy":   map[string]any{"defaultConsistencyLevel": s.consistency},
		"systemReplicationPolicy": map[string]any{"minReplicaSetSize": 1, "maxReplicasetSize": 4},
		"readPolicy":              map[string]any{"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1},
		"queryEngineConfiguration": `{"maxSqlQueryInputLength":262144,"maxJoinsPerSqlQuery":5,"maxLogicalAndPerSqlQuery":500,` +
			`"maxLogicalOrPerSqlQuery":500,"maxUdfRefPerSqlQuery":10,"maxInExpressionItemsCount":16000,"queryTimeoutInSeconds":30,` +
			`"maxDocumentsOnSingleQuery":4000,"spatialMaxGeometryPointCount":256,"sqlAllowNonFiniteNumbers":false,` +
			`"sqlDisableOptimizationFlags":0,"enableSpatialIndexing":true,"maxInMemorySortDocumentCount":500,` +
			`"maxQueryRequestTimeoutFraction":0.9,"sqlAllowAggregateFunctions":true,"sqlAllowGroupByClause":false,` +
			`"sqlAllowLike":true,"sqlAllowSubQuery":false,"sqlAllowScalarSubQuery":false,"sqlAllowTop":true}`,
	})
}

// offerFromHeaders reads provisioned throughput from a create request.
func offerFromHeaders(req *request) (json.RawMessage, *store.Error) {
	if v := req.header("x-ms-cosmos-offer-autopilot-settings"); v != "" {
		var auto map[string]any
		if json.Unmarshal([]byte(v), &auto) != nil {
			return nil, badRequest("x-ms-cosmos-offer-autopilot-settings is not valid JSON.")
		}
		max, _ := auto["maxThroughput"].(float64)
		if max < 1000 {
			return nil, badRequest("Autoscale maxThroughput must be at least 1000 RU/s.")
		}
		b, _ := json.Marshal(map[string]any{"offerThroughput": int(max) / 10, "offerAutopilotSettings": auto})
		return b, nil
	}
	if v := req.header("x-ms-offer-throughput"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 400 {
			return nil, badRequest("x-ms-offer-throughput must be a number of at least 400 RU/s.")
		}
		b, _ := json.Marshal(map[string]any{"offerThroughput": n})
		return b, nil
	}
	return nil, nil
}

func isQuery(req *request) bool {
	return req.method == http.MethodPost && (strings.EqualFold(req.header("x-ms-documentdb-query"), "true") ||
		strings.HasPrefix(req.header("Content-Type"), "application/query+json"))
}

func (s *Server) databases(req *request) {
	switch {
	case isQuery(req):
		var rows []any
		for _, d := range s.engine.Databases() {
			rows = append(rows, toGeneric(d.Properties()))
		}
		s.queryResources(req, "Databases", "", rows)
	case req.method == http.MethodGet:
		var rows []any
		for _, d := range s.engine.Databases() {
			rows = append(rows, d.Properties())
		}
		s.writeJSON(req, 200, map[string]any{"_rid": "", "Databases": rows, "_count": len(rows)})
	case req.method == http.MethodPost:
		body, err := req.body(64 * 1024)
		if err != nil {
			s.fail(req, err)
			return
		}
		var p struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(body, &p) != nil {
			s.fail(req, badRequest("The database definition is not a valid JSON object."))
			return
		}
		offer, oerr := offerFromHeaders(req)
		if oerr != nil {
			s.fail(req, oerr)
			return
		}
		d, cerr := s.engine.CreateDatabase(p.ID, offer)
		if cerr != nil {
			s.fail(req, cerr)
			return
		}
		s.writeJSON(req, 201, d.Properties())
	default:
		s.fail(req, &store.Error{Status: 405, Code: "MethodNotAllowed", Message: "The method is not allowed on databases."})
	}
}

func (s *Server) database(req *request, id string) {
	switch req.method {
	case http.MethodGet:
		d, err := s.engine.Database(id)
		if err != nil {
			s.fail(req, err)
			return
		}
		s.writeJSON(req, 200, d.Properties())
	case http.MethodDelete:
		if err := s.engine.DeleteDatabase(id); err != nil {
			s.fail(req, err)
			return
		}
		s.headers(req, false)
		req.writeHeader(204)
	default:
		s.fail(req, &store.Error{Status: 405, Code: "MethodNotAllowed", Message: "The method is not allowed on a database."})
	}
}

func (s *Server) containers(req *request, db string) {
	d, err := s.engine.Database(db)
	if err != nil {
		s.fail(req, err)
		return
	}
	switch {
	case isQuery(req):
		var rows []any
		for _, c := range d.Containers() {
			rows = append(rows, toGeneric(c.Properties()))
		}
		s.queryResources(req, "DocumentCollections", d.RID(), rows)
	case req.method == http.MethodGet:
		var rows []any
		for _, c := range d.Containers() {
			rows = append(rows, c.Properties())
		}
		s.writeJSON(req, 200, map[string]any{"_rid": d.RID(), "DocumentCollections": rows, "_count": len(rows)})
	case req.method == http.MethodPost:
		body, berr := req.body(1024 * 1024)
		if berr != nil {
			s.fail(req, berr)
			return
		}
		offer, oerr := offerFromHeaders(req)
		if oerr != nil {
			s.fail(req, oerr)
			return
		}
		partitions := 0
		if v := req.header("x-ms-emulator-partitions"); v != "" {
			if partitions, err = strconv.Atoi(v); err != nil || partitions < 1 {
				s.fail(req, badRequest("x-ms-emulator-partitions must be a positive number."))
				return
			}
		}
		c, cerr := d.CreateContainer(body, partitions, offer)
		if cerr != nil {
			s.fail(req, cerr)
			return
		}
		s.writeJSON(req, 201, c.Properties())
	default:
		s.fail(req, &store.Error{Status: 405, Code: "MethodNotAllowed", Message: "The method is not allowed on containers."})
	}
}

func (s *Server) containerResource(req *request, db, id string) {
	d, err := s.engine.Database(db)
	if err != nil {
		s.fail(req, err)
		return
	}
	switch req.method {
	case http.MethodGet:
		c, err := d.Container(id)
		if err != nil {
			s.fail(req, err)
			return
		}
		s.writeJSON(req, 200, c.Properties())
	case http.MethodPut:
		c, err := d.Container(id)
		if err != nil {
			s.fail(req, err)
			return
		}
		body, berr := req.body(1024 * 1024)
		if berr != nil {
			s.fail(req, berr)
			return
		}
		if err := c.Replace(body, req.header("If-Match")); err != nil {
			s.fail(req, err)
			return
		}
		s.writeJSON(req, 200, c.Properties())
	case http.MethodDelete:
		if err := d.DeleteContainer(id); err != nil {
			s.fail(req, err)
			return
		}
		s.headers(req, false)
		req.writeHeader(204)
	default:
		s.fail(req, &store.Error{Status: 405, Code: "MethodNotAllowed", Message: "The method is not allowed on a container."})
	}
}

func offerDoc(o store.Offer) map[string]any {
	return map[string]any{
		"id": o.RID, "_rid": o.RID, "_self": "offers/" + o.RID + "/", "_etag": o.ETag, "_ts": o.TS,
		"offerVersion": "V2", "offerType": "Invalid", "resource": o.OwnerSelfLink, "offerResourceId": o.OwnerRID,
		"content": o.Content,
	}
}

func (s *Server) offers(req *request) {
	offers := s.engine.Offers()
	switch {
	case len(req.segs) == 1 && isQuery(req):
		var rows []any
		for _, o := range offers {
			rows = append(rows, toGeneric(offerDoc(o)))
		}
		s.queryResources(req, "Offers", "", rows)
	case len(req.segs) == 1 && req.method == http.MethodGet:
		var rows []any
		for _, o := range offers {
			rows = append(rows, offerDoc(o))
		}
		s.writeJSON(req, 200, map[string]any{"_rid": "", "Offers": rows, "_count": len(rows)})
	case len(req.segs) == 2 && req.method == http.MethodGet:
		for _, o := range offers {
			if strings.EqualFold(o.RID, req.segs[1]) {
				s.writeJSON(req, 200, offerDoc(o))
				return
			}
		}
		s.fail(req, notFound("offer "+req.segs[1]))
	case len(req.segs) == 2 && req.method == http.MethodPut:
		body, berr := req.body(64 * 1024)
		if berr != nil {
			s.fail(req, berr)
			return
		}
		var p struct {
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(body, &p) != nil || len(p.Content) == 0 {
			s.fail(req, badRequest("The offer must have a content object."))
			return
		}
		for _, o := range offers {
			if strings.EqualFold(o.RID, req.segs[1]) {
				updated, err := s.engine.ReplaceOffer(o.RID, p.Content)
				if err != nil {
					s.fail(req, err)
					return
				}
				s.writeJSON(req, 200, offerDoc(updated))
				return
			}
		}
		s.fail(req, notFound("offer "+req.segs[1]))
	default:
		s.fail(req, badRequest("Unsupported offers request."))
	}
}

// queryResources answers a query over databases, containers or offers.
func (s *Server) queryResources(req *request, key, rid string, rows []any) {
	spec, err := readQuerySpec(req)
	if err != nil {
		s.fail(req, err)
		return
	}
	q, perr := cosmossql.Parse(spec.Query)
	if perr != nil {
		s.fail(req, badRequest("%s", perr.Error()))
		return
	}
	out, rerr := q.Run(rows, spec.params())
	if rerr != nil {
		s.fail(req, badRequest("%s", rerr.Error()))
		return
	}
	docs := make([][]byte, len(out))
	for i, v := range out {
		docs[i], _ = json.Marshal(v)
	}
	s.writeRaw(req, 200, feedBody(rid, key, docs))
}

// toGeneric turns a properties map into the generic JSON shape queries evaluate.
func toGeneric(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func (s *Server) pkranges(req *request, c *store.Container) {
	after := 0
	if v := strings.Trim(req.header("If-None-Match"), `"`); v != "" {
		after, _ = strconv.Atoi(v)
	}
	ranges, next := c.PartitionKeyRanges(after)
	s.headers(req, true)
	req.setHeader("Etag", strconv.Quote(strconv.Itoa(next)))
	isFeed := req.header("A-IM") != ""
	if isFeed && len(ranges) == 0 {
		req.writeHeader(http.StatusNotModified)
		return
	}
	if !isFeed {
		all, _ := c.PartitionKeyRanges(0)
		ranges = ranges[:0]
		live := map[string]bool{}
		for _, id := range c.RangeIDs() {
			live[id] = true
		}
		for _, r := range all {
			if live[r.ID] {
				ranges = append(ranges, r)
			}
		}
	}
	docs := make([][]byte, len(ranges))
	for i, r := range ranges {
		docs[i], _ = json.Marshal(map[string]any{
			"id": r.ID, "_rid": c.RID() + r.ID, "_self": c.SelfLink() + "pkranges/" + r.ID + "/", "_etag": strconv.Quote(r.ID),
			"minInclusive": r.Min, "maxExclusive": r.Max, "ridPrefix": 0, "throughputFraction": 1.0 / float64(len(c.RangeIDs())),
			"status": "online", "parents": r.Parents, "ownedArchivalPKRangeIds": []string{}, "_ts": r.TS, "lsn": r.LSN,
		})
	}
	s.writeRaw(req, 200, feedBody(c.RID(), "PartitionKeyRanges", docs))
}
