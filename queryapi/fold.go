package queryapi

import (
	"encoding/json"
	"fmt"

	"orderctx/domain/es"
	"orderctx/domain/orderview"
)

// OrderViewFold is the projector's own fold (domain/orderview.Apply) over
// view documents, so a prediction is exactly what the projector will write.
func OrderViewFold(doc json.RawMessage, events []es.Envelope) (json.RawMessage, error) {
	var view *orderview.View
	if len(doc) > 0 && string(doc) != "null" {
		view = new(orderview.View)
		if err := json.Unmarshal(doc, view); err != nil {
			return nil, fmt.Errorf("decode view: %w", err)
		}
	}
	next, err := orderview.Apply(view, events)
	if err != nil {
		return nil, err
	}
	return json.Marshal(next)
}
