package es

import (
	"encoding/json"
	"fmt"
)

// Aggregate is what a command handler needs from any aggregate to persist the
// outcome of a command: it appends Pending() after CommittedVersion() (which
// fails with ErrConcurrency if another writer got there first) and then calls
// MarkCommitted.
type Aggregate interface {
	// StreamID names the aggregate's event stream.
	StreamID() string
	// Version is the version after all applied events, pending ones included.
	Version() int64
	// CommittedVersion is the version the store holds, the expected version
	// for an optimistic append.
	CommittedVersion() int64
	// Pending returns the events recorded since the last commit, oldest first.
	Pending() []Payload
	// MarkCommitted forgets the pending events after the store accepted them.
	MarkCommitted()
}

// Snapshotter is an aggregate that can export its state.
type Snapshotter interface {
	// Snapshot returns the committed state; it fails while events are pending.
	Snapshot() (Snapshot, error)
}

// Snapshot is an aggregate's state as JSON together with the stream version it
// corresponds to, so that loading needs only the events after Version.
type Snapshot struct {
	StreamID string `json:"streamId"`
	// AggregateType names the kind of aggregate, so a snapshot is never
	// restored into the wrong type.
	AggregateType string `json:"aggregateType"`
	// SchemaVersion is the version of the State shape. A loader that finds an
	// older shape replays the stream instead; snapshots are never upcast,
	// because they can always be rebuilt from events.
	SchemaVersion int             `json:"schemaVersion"`
	Version       int64           `json:"version"`
	State         json.RawMessage `json:"state"`
}

// Base keeps the bookkeeping every event-sourced aggregate needs. A concrete
// aggregate holds a Base in an unexported field (rather than embedding it) so
// that Record is not part of its public API and every event goes through a
// command method that checks the rules first.
type Base struct {
	streamID  string
	version   int64
	committed int64
	pending   []Payload
	apply     func(Payload) error
}

// NewBase returns the bookkeeping for a stream whose events are applied by
// apply. apply is the only place where the aggregate's state changes; it must
// not check business rules (commands do that), only refuse payloads it cannot
// apply at all.
func NewBase(streamID string, apply func(Payload) error) Base {
	return Base{streamID: streamID, apply: apply}
}

// StreamID returns the stream id.
func (b *Base) StreamID() string { return b.streamID }

// Version returns the version after all applied events, pending ones included.
func (b *Base) Version() int64 { return b.version }

// CommittedVersion returns the version of the last event known to be stored.
func (b *Base) CommittedVersion() int64 { return b.committed }

// Pending returns a copy of the uncommitted events, oldest first.
func (b *Base) Pending() []Payload { return append([]Payload(nil), b.pending...) }

// MarkCommitted clears the pending events after the store has appended them.
func (b *Base) MarkCommitted() {
	b.pending = nil
	b.committed = b.version
}

// CloneFor returns a copy of the bookkeeping for a copy of its aggregate,
// whose events apply applies: a cache can then hand out copies of a committed
// aggregate to decide on without a JSON round trip or a replay. Pending
// events are copied too (payloads are immutable values).
func (b *Base) CloneFor(apply func(Payload) error) Base {
	c := *b
	c.pending = append([]Payload(nil), b.pending...)
	c.apply = apply
	return c
}

// Record applies a new event and appends it to the pending events. The event is
// kept only if apply accepts it, so state and pending events never disagree.
func (b *Base) Record(p Payload) error {
	if p == nil {
		return Errorf(Internal, RuleCorruptHistory, "record on %s: nil payload", b.streamID)
	}
	if err := b.apply(p); err != nil {
		return fmt.Errorf("record %s on %s: %w", p.EventType(), b.streamID, err)
	}
	b.pending = append(b.pending, p)
	b.version++
	return nil
}

// LoadFromHistory applies stored events without recording them. It refuses
// events of another stream and versions that do not follow on without a gap,
// because applying those would silently build a wrong state.
func (b *Base) LoadFromHistory(history []Envelope) error {
	if len(b.pending) > 0 {
		return Errorf(Internal, RuleCorruptHistory, "load %s: %d events are pending", b.streamID, len(b.pending))
	}
	for _, e := range history {
		if e.StreamID != b.streamID {
			return Errorf(Internal, RuleCorruptHistory, "load %s: event %s belongs to stream %q", b.streamID, e.EventID, e.StreamID)
		}
		if e.Version != b.version+1 {
			return Errorf(Internal, RuleCorruptHistory, "load %s: expected version %d, got %d", b.streamID, b.version+1, e.Version)
		}
		if e.Payload == nil {
			return Errorf(Internal, RuleCorruptHistory, "load %s@%d: nil payload", b.streamID, e.Version)
		}
		if e.Type != "" && e.Type != e.Payload.EventType() {
			return Errorf(Internal, RuleCorruptHistory, "load %s@%d: type %q carries a %q payload", b.streamID, e.Version, e.Type, e.Payload.EventType())
		}
		if err := b.apply(e.Payload); err != nil {
			return fmt.Errorf("load %s@%d: %w", b.streamID, e.Version, err)
		}
		b.version = e.Version
		b.committed = e.Version
	}
	return nil
}

// TakeSnapshot marshals state as a snapshot at the committed version. It fails
// while events are pending, because a snapshot of uncommitted state could
// outlive a failed append.
func (b *Base) TakeSnapshot(aggregateType string, schemaVersion int, state any) (Snapshot, error) {
	if len(b.pending) > 0 {
		return Snapshot{}, Errorf(Internal, RuleSnapshotIncompatible, "snapshot %s: %d events are pending", b.streamID, len(b.pending))
	}
	if b.version == 0 {
		return Snapshot{}, Errorf(Internal, RuleSnapshotIncompatible, "snapshot %s: stream has no events", b.streamID)
	}
	data, err := json.Marshal(state)
	if err != nil {
		return Snapshot{}, Errorf(Internal, RuleSnapshotIncompatible, "snapshot %s: %v", b.streamID, err)
	}
	return Snapshot{
		StreamID:      b.streamID,
		AggregateType: aggregateType,
		SchemaVersion: schemaVersion,
		Version:       b.version,
		State:         data,
	}, nil
}

// RestoreSnapshot unmarshals a snapshot's state into state and sets the
// version, on a Base that has applied nothing yet. A snapshot of another
// stream, aggregate type or state schema version is refused with an error
// wrapping ErrSnapshotIncompatible, so the caller can replay the stream instead.
func (b *Base) RestoreSnapshot(s Snapshot, aggregateType string, schemaVersion int, state any) error {
	if b.version != 0 || len(b.pending) > 0 {
		return fmt.Errorf("restore %s: aggregate already has events: %w", b.streamID, ErrSnapshotIncompatible)
	}
	switch {
	case s.StreamID != b.streamID:
		return fmt.Errorf("restore %s: snapshot of stream %q: %w", b.streamID, s.StreamID, ErrSnapshotIncompatible)
	case s.AggregateType != aggregateType:
		return fmt.Errorf("restore %s: snapshot of a %q, want %q: %w", b.streamID, s.AggregateType, aggregateType, ErrSnapshotIncompatible)
	case s.SchemaVersion != schemaVersion:
		return fmt.Errorf("restore %s: state schema v%d, want v%d: %w", b.streamID, s.SchemaVersion, schemaVersion, ErrSnapshotIncompatible)
	case s.Version < 1:
		return fmt.Errorf("restore %s: snapshot version %d: %w", b.streamID, s.Version, ErrSnapshotIncompatible)
	}
	if err := json.Unmarshal(s.State, state); err != nil {
		return fmt.Errorf("restore %s: %v: %w", b.streamID, err, ErrSnapshotIncompatible)
	}
	b.version = s.Version
	b.committed = s.Version
	return nil
}
