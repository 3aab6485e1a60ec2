package cosmosemu

import "net/http"

// WriteError answers err on w as a handler's failure is answered.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	req := &request{x: stdExchange{w, r}, method: r.Method, path: r.URL.Path, activity: s.nextActivityID()}
	s.writeError(req, err)
}
