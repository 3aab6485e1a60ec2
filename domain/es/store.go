package es

import "context"

// EventStore persists event streams. Implementations live in infra and all
// pass the acceptance suite in infra/eventstore/storetest.
type EventStore interface {
	// Load returns a stream: its latest snapshot (nil when there is none or it
	// cannot be used) and the events after it, decoded and upcast to the
	// current schema, in version order. A stream that does not exist loads as
	// an empty Stream with Version 0 and no error.
	// Errors: Unavailable when the store cannot be reached; Internal when the
	// stored events do not decode.
	Load(ctx context.Context, streamID string) (Stream, error)
	// Append writes events atomically after expectedVersion (0 for a new
	// stream): all of them or none. The events must carry versions
	// expectedVersion+1, +2, ... (see Registry.Stamp).
	// Errors: ErrConcurrency (wrapped) when the stream is no longer at
	// expectedVersion; Invalid for a batch the store cannot take (too many or
	// too large events); Unavailable when the store cannot be reached.
	Append(ctx context.Context, streamID string, expectedVersion int64, events []Envelope) (AppendResult, error)
	// FindCommand returns what a command id already committed on a stream, or
	// nil when it committed nothing there.
	FindCommand(ctx context.Context, streamID, commandID string) (*CommandRecord, error)
}

// SnapshotStore keeps the latest snapshot of each stream.
type SnapshotStore interface {
	// ReadSnapshot returns the stream's latest snapshot, or nil when it has none.
	ReadSnapshot(ctx context.Context, streamID string) (*Snapshot, error)
	// WriteSnapshot stores a snapshot unless a newer one is already stored.
	WriteSnapshot(ctx context.Context, s Snapshot) error
}

// Stream is a loaded event stream.
type Stream struct {
	StreamID string
	// Snapshot, when set, holds the state at Snapshot.Version; Events follow it.
	Snapshot *Snapshot
	Events   []Envelope
	// Version is the stream's current version (0 when it does not exist).
	Version int64
	// RequestCharge is the store's cost of loading (Cosmos DB RU).
	RequestCharge float64
}

// AppendResult reports a committed append.
type AppendResult struct {
	Version       int64
	RequestCharge float64
}

// CommandRecord is what one command committed on a stream.
type CommandRecord struct {
	CommandID   string
	CommandHash string
	EventIDs    []string
	Version     int64 // the stream version after the command
}
