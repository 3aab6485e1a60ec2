package parking

import (
	"context"
	"encoding/json"
	"time"
)

// Letter is a parked event: the document stored in the deadletters container
// (partitioned by consumer), one per event and consumer.
type Letter struct {
	// ID is "<streamId>:<version>" (the event document's id), or
	// "undecodable-<hash of the document>" when stream or version is unknown.
	ID       string `json:"id"`
	Consumer string `json:"consumer"`
	// StreamID and Version place the event; empty and 0 when the document
	// does not say (then the letter parks nothing behind it).
	StreamID  string `json:"streamId"`
	Version   int64  `json:"version"`
	EventID   string `json:"eventId,omitempty"`
	EventType string `json:"eventType,omitempty"`
	Reason    string `json:"reason"`
	// Behind is the version of the parked event of the stream that this one
	// waits behind; 0 for an event parked for its own sake.
	Behind   int64     `json:"behind,omitempty"`
	ParkedAt time.Time `json:"parkedAt"`
	// Document is the event document as the consumer received it, or, when
	// that was not JSON, DocumentText holds it as a string. Both are empty
	// when it was larger than MaxDocumentBytes (DocumentBytes says how large):
	// it is still in the events container under ID.
	Document      json.RawMessage `json:"document,omitempty"`
	DocumentText  string          `json:"documentText,omitempty"`
	DocumentBytes int             `json:"documentBytes"`
}

// MaxDocumentBytes bounds the event document copied into a letter, so that a
// letter stays below Cosmos DB's 2 MB item limit.
const MaxDocumentBytes = 1 << 20

// Store keeps parked events (the deadletters container).
type Store interface {
	// Heads returns, for each of streamIDs that has parked events of
	// consumer, the lowest parked version; streams without any are absent.
	// It is one query, whatever the number of streams.
	// Errors: es.Unavailable when the store cannot be reached.
	Heads(ctx context.Context, consumer string, streamIDs []string) (map[string]int64, error)
	// AnyParked reports whether any letter of consumer holds a stream back
	// (one with a stream id; an undecodable document's letter blocks
	// nothing). One query. Errors: es.Unavailable.
	AnyParked(ctx context.Context, consumer string) (bool, error)
	// Park stores letters of one consumer. A letter whose id is already
	// stored is left as it is, so parking again after a re-delivery keeps
	// the first reason. Errors: es.Unavailable.
	Park(ctx context.Context, letters []Letter) error
}
