package cosmosemu

import (
	"encoding/json"
	"strconv"
)

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// writeJSON writes a status and a JSON value.
func (s *Server) writeJSON(req *request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.fail(req, err)
		return
	}
	s.writeRaw(req, status, b)
}

func (s *Server) writeRaw(req *request, status int, b []byte) {
	s.headers(req, true)
	req.setHeader("Content-Length", strconv.Itoa(len(b)))
	req.writeHeader(status)
	req.write(b)
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
