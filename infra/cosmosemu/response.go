package cosmosemu

import (
	"encoding/json"
	"strconv"

	"orderctx/infra/cosmosemu/store"
)

// headers writes the headers every Cosmos DB response carries.
func (s *Server) headers(req *request, contentType bool) {
	if contentType {
		req.setHeader("Content-Type", "application/json")
	}
	if req.charge <= 1 {
		req.setHeader("X-Ms-Request-Charge", "1.00")
	} else {
		req.setHeader("X-Ms-Request-Charge", strconv.FormatFloat(req.charge, 'f', 2, 64))
	}
	req.setHeader("X-Ms-Activity-Id", req.activity)
	if req.session == "" {
		req.session = "0:-1#0"
	}
	req.setHeader("X-Ms-Session-Token", req.session)
	req.setHeader("X-Ms-Gatewayversion", "version=2.14.0")
	req.setHeader("X-Ms-Serviceversion", "version=2.14.0.0")
}

// writeStatus answers a status without a body (204, 304).
func (s *Server) writeStatus(req *request, status int) {
	s.headers(req, false)
	req.writeHeader(status)
}

// writeJSON writes a status and a JSON value.
func (s *Server) writeJSON(req *request, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.writeRaw(req, status, b)
	return nil
}

func (s *Server) writeRaw(req *request, status int, b []byte) {
	s.headers(req, true)
	req.setHeader("Content-Length", strconv.Itoa(len(b)))
	req.writeHeader(status)
	req.write(b)
}

// writeDoc writes an item with its etag and LSN; noBody leaves the body out
// (Prefer: return=minimal).
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

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// feedBody writes {"_rid":..., "<key>":[docs...], "_count":n} without re-encoding documents.
func feedBody(rid, key string, docs [][]byte) []byte {
	size := 64 + len(rid) + len(key)
	for _, d := range docs {
		size += len(d) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"_rid":`...)
	b = appendJSONString(b, rid)
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":[`...)
	for i, d := range docs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	b = append(b, `],"_count":`...)
	b = strconv.AppendInt(b, int64(len(docs)), 10)
	b = append(b, '}')
	return b
}
