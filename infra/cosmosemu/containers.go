package cosmosemu

import (
	"net/http"
	"strconv"

	"orderctx/infra/cosmosemu/store"
)

// containers serves a database's containers feed: list, query and create.
func (s *Server) containers(req *request, db string) error {
	d, err := s.engine.Database(db)
	if err != nil {
		return err
	}
	switch {
	case isQuery(req):
		var rows []any
		for _, c := range d.Containers() {
			rows = append(rows, toGeneric(c.Properties()))
		}
		return s.queryResources(req, "DocumentCollections", d.RID(), rows)
	case req.method == http.MethodGet:
		var rows []any
		for _, c := range d.Containers() {
			rows = append(rows, c.Properties())
		}
		return s.writeJSON(req, 200, map[string]any{"_rid": d.RID(), "DocumentCollections": rows, "_count": len(rows)})
	case req.method == http.MethodPost:
		return s.createContainer(req, d)
	}
	return methodNotAllowed("containers")
}

// createContainer creates a container; x-ms-emulator-partitions, this
// server's own header, sets its number of physical partitions.
func (s *Server) createContainer(req *request, d *store.Database) error {
	body, err := req.body(1024 * 1024)
	if err != nil {
		return err
	}
	offer, err := offerFromHeaders(req)
	if err != nil {
		return err
	}
	partitions := 0
	if v := req.header("x-ms-emulator-partitions"); v != "" {
		if partitions, err = strconv.Atoi(v); err != nil || partitions < 1 {
			return badRequest("x-ms-emulator-partitions must be a positive number.")
		}
	}
	c, err := d.CreateContainer(body, partitions, offer)
	if err != nil {
		return err
	}
	return s.writeJSON(req, 201, c.Properties())
}

// containerResource serves one container: read, replace and delete.
func (s *Server) containerResource(req *request, db, id string) error {
	d, err := s.engine.Database(db)
	if err != nil {
		return err
	}
	switch req.method {
	case http.MethodGet:
		c, err := d.Container(id)
		if err != nil {
			return err
		}
		return s.writeJSON(req, 200, c.Properties())
	case http.MethodPut:
		c, err := d.Container(id)
		if err != nil {
			return err
		}
		body, err := req.body(1024 * 1024)
		if err != nil {
			return err
		}
		if err := c.Replace(body, req.header("If-Match")); err != nil {
			return err
		}
		return s.writeJSON(req, 200, c.Properties())
	case http.MethodDelete:
		if err := d.DeleteContainer(id); err != nil {
			return err
		}
		s.writeStatus(req, 204)
		return nil
	}
	return methodNotAllowed("a container")
}
