package eventstore

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/es"
	"orderctx/infra/cosmosdb"
)

// ReadEvent reads one event by stream and version with a point read (its id
// follows from both) and returns it decoded and upcast to the current schema.
// Errors: NotFound when the stream has no such version; Unavailable when the
// store cannot be reached; Internal when the stored event does not decode.
func (s *Store) ReadEvent(ctx context.Context, streamID string, version int64) (es.Envelope, error) {
	resp, err := s.events.ReadItem(ctx, azcosmos.NewPartitionKeyString(streamID), EventDocumentID(streamID, version), nil)
	if cosmosdb.StatusCode(err) == http.StatusNotFound {
		return es.Envelope{}, es.Errorf(es.NotFound, "es.event_not_found", "stream %s has no event at version %d", streamID, version)
	}
	if err != nil {
		return es.Envelope{}, translate(err, "read event "+streamID)
	}
	var d eventDoc
	if err := json.Unmarshal(resp.Value, &d); err != nil {
		return es.Envelope{}, es.Errorf(es.Internal, es.RuleCorruptHistory, "stream %s: undecodable event at version %d: %v", streamID, version, err)
	}
	return s.reg.DecodeEvent(d.EncodedEvent)
}
