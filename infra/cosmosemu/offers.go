package cosmosemu

import (
	"encoding/json"
	"net/http"
	"strings"

	"orderctx/infra/cosmosemu/store"
)

func offerDoc(o store.Offer) map[string]any {
	return map[string]any{
		"id": o.RID, "_rid": o.RID, "_self": "offers/" + o.RID + "/", "_etag": o.ETag, "_ts": o.TS,
		"offerVersion": "V2", "offerType": "Invalid", "resource": o.OwnerSelfLink, "offerResourceId": o.OwnerRID,
		"content": o.Content,
	}
}

// offers serves the throughput offers of databases and containers: list,
// query, read and replace, addressed by resource id.
func (s *Server) offers(req *request) error {
	offers := s.engine.Offers()
	switch {
	case len(req.segs) == 1 && isQuery(req):
		var rows []any
		for _, o := range offers {
			rows = append(rows, toGeneric(offerDoc(o)))
		}
		return s.queryResources(req, "Offers", "", rows)
	case len(req.segs) == 1 && req.method == http.MethodGet:
		var rows []any
		for _, o := range offers {
			rows = append(rows, offerDoc(o))
		}
		return s.writeJSON(req, 200, map[string]any{"_rid": "", "Offers": rows, "_count": len(rows)})
	case len(req.segs) == 2 && req.method == http.MethodGet:
		for _, o := range offers {
			if strings.EqualFold(o.RID, req.segs[1]) {
				return s.writeJSON(req, 200, offerDoc(o))
			}
		}
		return notFound("offer " + req.segs[1])
	case len(req.segs) == 2 && req.method == http.MethodPut:
		return s.replaceOffer(req, offers)
	}
	return badRequest("Unsupported offers request.")
}

func (s *Server) replaceOffer(req *request, offers []store.Offer) error {
	body, err := req.body(64 * 1024)
	if err != nil {
		return err
	}
	var p struct {
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(body, &p) != nil || len(p.Content) == 0 {
		return badRequest("The offer must have a content object.")
	}
	for _, o := range offers {
		if strings.EqualFold(o.RID, req.segs[1]) {
			updated, err := s.engine.ReplaceOffer(o.RID, p.Content)
			if err != nil {
				return err
			}
			return s.writeJSON(req, 200, offerDoc(updated))
		}
	}
	return notFound("offer " + req.segs[1])
}
