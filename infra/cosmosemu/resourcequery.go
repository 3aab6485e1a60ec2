package cosmosemu

import (
	"encoding/json"

	"orderctx/infra/cosmosemu/cosmossql"
)

// queryResources answers a query over databases, containers or offers: the
// resources' properties in their generic JSON shape (toGeneric) are the rows.
func (s *Server) queryResources(req *request, key, rid string, rows []any) error {
	spec, err := readQuerySpec(req)
	if err != nil {
		return err
	}
	q, err := cosmossql.Parse(spec.Query)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	out, err := q.Run(rows, spec.params())
	if err != nil {
		return badRequest("%s", err.Error())
	}
	docs := make([][]byte, len(out))
	for i, v := range out {
		docs[i], _ = json.Marshal(v)
	}
	s.writeRaw(req, 200, feedBody(rid, key, docs))
	return nil
}

// toGeneric turns a properties map into the generic JSON shape queries evaluate.
func toGeneric(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
