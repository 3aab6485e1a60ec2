package es

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Payload is a typed domain event. EventType returns its stable logical name
// (such as "order.placed"); stored events refer to that name, never to a Go
// type name, so Go code can be renamed freely.
type Payload interface {
	EventType() string
}

// Metadata describes one event in its stream and the command that caused it.
type Metadata struct {
	// EventID is unique per event; consumers use it to drop duplicates.
	EventID string `json:"eventId"`
	// StreamID names the stream (and the Cosmos DB partition) of the event.
	StreamID string `json:"streamId"`
	// Version is the 1-based, gap-free position of the event in its stream.
	Version int64 `json:"version"`
	// CommandID identifies the command that produced the event, so a retried
	// command can be recognised.
	CommandID string `json:"commandId,omitempty"`
	// CommandHash fingerprints the request that carried the command, so a
	// command id reused for a different request is refused, not replayed.
	CommandHash string `json:"commandHash,omitempty"`
	// CorrelationID ties together everything done for one user request.
	CorrelationID string `json:"correlationId,omitempty"`
	// CausationID names the message that directly caused the command.
	CausationID string `json:"causationId,omitempty"`
	// OccurredAt is when the event was recorded.
	OccurredAt time.Time `json:"occurredAt"`
}

// Causation holds the ids a command handler attaches to every event of one command.
type Causation struct {
	CommandID     string
	CorrelationID string
	CausationID   string
}

// Envelope is a decoded event as the domain sees it: Payload is always in the
// current schema, SchemaVersion is that current version.
type Envelope struct {
	Type          string
	SchemaVersion int
	Payload       Payload
	Metadata
}

// EncodedEvent is an event with its payload as JSON in the schema version it
// was written with, the shape a store keeps.
type EncodedEvent struct {
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schemaVersion"`
	Data          json.RawMessage `json:"data"`
	Metadata
}

// NewEventID returns a random UUID (version 4) string, the default source of
// event ids; random ids need no coordination between writers.
func NewEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead.
	return FormatUUID(b, 4)
}

// FormatUUID stamps a UUID version (RFC 9562: 4 random, 8 custom) and the
// variant onto 16 bytes and formats them in the canonical 8-4-4-4-12 form.
func FormatUUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
