package cosmosemu

import (
	"encoding/json"
	"net/http"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// The /_emulator endpoints control the server from other processes (tests
// of change-feed consumers that run as separate programs). They are not part
// of Cosmos DB; like every request they must be signed with the master key
// (resource type "_emulator", link "_emulator/<action>").
//
//	POST /_emulator/split   {"database","container","range"}   -> 200 {"children":[id,id]}
//	POST /_emulator/faults  a Fault as JSON                     -> 204 (adds a rule; "after": true serves, then fails the answer)
//	DELETE /_emulator/faults                                    -> 204 (removes every rule)
//	GET /_emulator/faults                                       -> 200 {"injected":n} (rules fired since start)
func (s *Server) admin(req *request) error {
	action := ""
	if len(req.segs) == 2 {
		action = req.segs[1]
	}
	switch {
	case action == "split" && req.method == http.MethodPost:
		return s.adminSplit(req)
	case action == "faults" && req.method == http.MethodPost:
		return s.adminAddFault(req)
	case action == "faults" && req.method == http.MethodGet:
		return s.writeJSON(req, http.StatusOK, map[string]int{"injected": s.faults.Injected()})
	case action == "faults" && req.method == http.MethodDelete:
		s.faults.Clear()
		s.writeStatus(req, http.StatusNoContent)
		return nil
	}
	return &store.Error{Status: 404, Code: "NotFound", Message: "Unknown emulator control endpoint."}
}

func (s *Server) adminSplit(req *request) error {
	body, err := req.body(64 * 1024)
	if err != nil {
		return err
	}
	var in struct {
		Database  string `json:"database"`
		Container string `json:"container"`
		Range     string `json:"range"`
	}
	if json.Unmarshal(body, &in) != nil || in.Database == "" || in.Container == "" || in.Range == "" {
		return badRequest("A split names the database, the container and the range to split.")
	}
	children, err := s.SplitRange(in.Database, in.Container, in.Range)
	if err != nil {
		return err
	}
	return s.writeJSON(req, 200, map[string]any{"children": children})
}

func (s *Server) adminAddFault(req *request) error {
	body, err := req.body(64 * 1024)
	if err != nil {
		return err
	}
	var in struct {
		Method, PathContains, Header string
		Rate                         float64
		Count                        int
		LatencyMs                    int `json:"latencyMs"`
		Status, SubStatus            int
		RetryAfterMs                 int `json:"retryAfterMs"`
		After                        bool
	}
	if jerr := json.Unmarshal(body, &in); jerr != nil || in.Rate < 0 || in.Rate > 1 || in.Count < 0 || in.LatencyMs < 0 {
		return badRequest("A fault is {method, pathContains, header, rate (0..1), count, latencyMs, status, subStatus, retryAfterMs, after}.")
	}
	s.faults.Add(Fault{Method: in.Method, PathContains: in.PathContains, Header: in.Header, Rate: in.Rate, Count: in.Count,
		Latency: time.Duration(in.LatencyMs) * time.Millisecond, Status: in.Status, SubStatus: in.SubStatus,
		RetryAfter: time.Duration(in.RetryAfterMs) * time.Millisecond, After: in.After})
	s.writeStatus(req, http.StatusNoContent)
	return nil
}
