package cosmosemu

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"orderctx/infra/cosmosemu/store"
)

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// readBody reads a request body up to limit bytes; more is a 413.
func readBody(r *http.Request, limit int64) ([]byte, *store.Error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, badRequest("The request body could not be read: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, &store.Error{Status: 413, Code: "RequestEntityTooLarge", Message: "Request size is too large: at most " + strconv.FormatInt(limit, 10) + " bytes."}
	}
	return b, nil
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
	h := s.headers(req, true)
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	req.w.WriteHeader(status)
	_, _ = req.w.Write(b)
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
