package cosmosemu

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// databases serves the databases feed: list, query and create.
func (s *Server) databases(req *request) error {
	switch {
	case isQuery(req):
		var rows []any
		for _, d := range s.engine.Databases() {
			rows = append(rows, toGeneric(d.Properties()))
		}
		return s.queryResources(req, "Databases", "", rows)
	case req.method == http.MethodGet:
		var rows []any
		for _, d := range s.engine.Databases() {
			rows = append(rows, d.Properties())
		}
		return s.writeJSON(req, 200, map[string]any{"_rid": "", "Databases": rows, "_count": len(rows)})
	case req.method == http.MethodPost:
		return s.createDatabase(req)
	}
	return methodNotAllowed("databases")
}

func (s *Server) createDatabase(req *request) error {
	body, err := req.body(64 * 1024)
	if err != nil {
		return err
	}
	var p struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &p) != nil {
		return badRequest("The database definition is not a valid JSON object.")
	}
	offer, err := offerFromHeaders(req)
	if err != nil {
		return err
	}
	d, err := s.engine.CreateDatabase(p.ID, offer)
	if err != nil {
		return err
	}
	return s.writeJSON(req, 201, d.Properties())
}

// database serves one database: read and delete.
func (s *Server) database(req *request, id string) error {
	switch req.method {
	case http.MethodGet:
		d, err := s.engine.Database(id)
		if err != nil {
			return err
		}
		return s.writeJSON(req, 200, d.Properties())
	case http.MethodDelete:
		if err := s.engine.DeleteDatabase(id); err != nil {
			return err
		}
		s.writeStatus(req, 204)
		return nil
	}
	return methodNotAllowed("a database")
}

// offerFromHeaders reads the throughput a create request provisions, as the
// content of its offer; none when the request sets none.
func offerFromHeaders(req *request) (json.RawMessage, error) {
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
