// Package memory is an in-memory event store: es.EventStore and
// es.SnapshotStore in one map, for tests and for trying the command side
// without a database. It keeps events encoded, as a real store does, so every
// load goes through the registry and its upcasters; it passes the same
// acceptance suite as the Cosmos DB store (infra/eventstore/storetest); it
// reports to the context's es.Meter the requests the Cosmos DB store would
// send (a load is a snapshot read and one query, an append one batch, a
// command lookup one query), with made-up charges; and it has hooks to
// inject the failures a caller must handle (an unreachable store, a lost
// race, a lost acknowledgement).
package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"orderctx/domain/es"
)

// Store is the in-memory event and snapshot store. The zero value is not
// usable; call New.
type Store struct {
	reg *es.Registry

	mu        sync.Mutex
	streams   map[string][]es.EncodedEvent
	snapshots map[string]es.Snapshot

	// Fault injection, read under mu: see SetBeforeAppend.
	beforeAppend   func(streamID string, expected int64) error
	commitThenFail bool
	// down makes every call fail as an unreachable store would.
	down atomic.Bool

	appends atomic.Int64 // successful appends
	loads   atomic.Int64
	finds   atomic.Int64
}

var _ interface {
	es.EventStore
	es.SnapshotStore
} = (*Store)(nil)

// MaxEventsPerAppend mirrors the Cosmos DB store's limit (a transactional
// batch holds at most 100 operations), so code tried here fails the same way.
const MaxEventsPerAppend = 100

// New returns an empty store that encodes and decodes with reg.
func New(reg *es.Registry) *Store {
	return &Store{reg: reg, streams: make(map[string][]es.EncodedEvent), snapshots: make(map[string]es.Snapshot)}
}

// ErrDown is what every call returns while the store is set down.
var ErrDown = &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: "the in-memory store is set down"}

// Ready reports ErrDown while the store is set down.
func (m *Store) Ready(context.Context) error {
	if m.down.Load() {
		return ErrDown
	}
	return nil
}

// Charges reported to the es.Meter, in the range Cosmos DB charges for small
// documents: what a test asserts is the number of requests, not these.
const (
	chargeRead   = 1
	chargeQuery  = 3
	chargeAppend = 10
)

func (m *Store) Load(ctx context.Context, streamID string) (es.Stream, error) {
	if err := m.check(ctx); err != nil {
		return es.Stream{}, err
	}
	meter := es.MeterFrom(ctx)
	meter.Add(chargeRead)
	meter.Add(chargeQuery)
	m.loads.Add(1)
	m.mu.Lock()
	stored := append([]es.EncodedEvent(nil), m.streams[streamID]...)
	snap, hasSnap := m.snapshots[streamID]
	m.mu.Unlock()
	out := es.Stream{StreamID: streamID, RequestCharge: chargeRead + chargeQuery}
	if hasSnap && snap.Version <= int64(len(stored)) {
		s := snap
		out.Snapshot, out.Version = &s, snap.Version
		stored = stored[snap.Version:]
	}
	for _, e := range stored {
		env, err := m.reg.DecodeEvent(e)
		if err != nil {
			return es.Stream{}, err
		}
		out.Events = append(out.Events, env)
		out.Version = e.Version
	}
	return out, nil
}

func (m *Store) Append(ctx context.Context, streamID string, expected int64, events []es.Envelope) (es.AppendResult, error) {
	if err := m.check(ctx); err != nil {
		return es.AppendResult{}, err
	}
	if len(events) == 0 {
		return es.AppendResult{Version: expected}, nil
	}
	if len(events) > MaxEventsPerAppend {
		return es.AppendResult{}, es.Errorf(es.Invalid, "es.append_too_large", "a command may append at most %d events, not %d", MaxEventsPerAppend, len(events))
	}
	enc := make([]es.EncodedEvent, len(events))
	for i, e := range events {
		if e.StreamID != streamID || e.Version != expected+int64(i)+1 {
			return es.AppendResult{}, es.Errorf(es.Internal, es.RuleCorruptHistory, "event %d is %s@%d", i, e.StreamID, e.Version)
		}
		var err error
		if enc[i], err = m.reg.EncodeEnvelope(e); err != nil {
			return es.AppendResult{}, err
		}
	}
	es.MeterFrom(ctx).Add(chargeAppend) // the batch is sent, whatever its outcome
	m.mu.Lock()
	hook, commitThenFail := m.beforeAppend, m.commitThenFail
	m.mu.Unlock()
	var injected error
	if hook != nil {
		injected = hook(streamID, expected)
		if injected != nil && !commitThenFail {
			return es.AppendResult{}, injected
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if int64(len(m.streams[streamID])) != expected {
		return es.AppendResult{}, fmt.Errorf("append %s@%d: %w", streamID, expected+1, es.ErrConcurrency)
	}
	m.streams[streamID] = append(m.streams[streamID], enc...)
	m.appends.Add(1)
	if injected != nil {
		return es.AppendResult{}, injected
	}
	return es.AppendResult{Version: expected + int64(len(events)), RequestCharge: chargeAppend}, nil
}

func (m *Store) FindCommand(ctx context.Context, streamID, commandID string) (*es.CommandRecord, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	es.MeterFrom(ctx).Add(chargeQuery)
	m.finds.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	var rec *es.CommandRecord
	for _, e := range m.streams[streamID] {
		if e.CommandID != commandID {
			continue
		}
		if rec == nil {
			rec = &es.CommandRecord{CommandID: commandID}
		}
		rec.EventIDs = append(rec.EventIDs, e.EventID)
		rec.Version, rec.CommandHash = e.Version, e.CommandHash
	}
	return rec, nil
}

func (m *Store) ReadSnapshot(ctx context.Context, streamID string) (*es.Snapshot, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.snapshots[streamID]
	if !ok {
		return nil, nil
	}
	return &s, nil
}

func (m *Store) WriteSnapshot(ctx context.Context, s es.Snapshot) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.snapshots[s.StreamID]; ok && cur.Version >= s.Version {
		return nil
	}
	m.snapshots[s.StreamID] = s
	return nil
}

func (m *Store) check(ctx context.Context) error {
	if m.down.Load() {
		return ErrDown
	}
	return ctx.Err()
}

// SetDown makes every call fail with ErrDown (true) or work again (false).
func (m *Store) SetDown(down bool) { m.down.Store(down) }

// SetBeforeAppend installs a fault hook that runs before each append takes
// effect (nil removes it). A non-nil error from hook fails the append with
// that error; with commitThenFail the append commits first and then reports
// the error, as a lost acknowledgement would.
func (m *Store) SetBeforeAppend(commitThenFail bool, hook func(streamID string, expected int64) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beforeAppend, m.commitThenFail = hook, commitThenFail
}

// Appends counts the appends that committed.
func (m *Store) Appends() int64 { return m.appends.Load() }

// Loads counts the calls to Load.
func (m *Store) Loads() int64 { return m.loads.Load() }

// Finds counts the calls to FindCommand.
func (m *Store) Finds() int64 { return m.finds.Load() }

// Events returns the stored events of a stream, encoded.
func (m *Store) Events(streamID string) []es.EncodedEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]es.EncodedEvent(nil), m.streams[streamID]...)
}

// AppendAs appends payloads as another writer would, bypassing the fault
// hook, and returns the new stream version.
func (m *Store) AppendAs(streamID, commandID string, at time.Time, payloads ...es.Payload) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	after := int64(len(m.streams[streamID]))
	envs, err := m.reg.Stamp(streamID, after, payloads, es.Causation{CommandID: commandID}, at, nil)
	if err != nil {
		return 0, err
	}
	for _, e := range envs {
		enc, err := m.reg.EncodeEnvelope(e)
		if err != nil {
			return 0, err
		}
		m.streams[streamID] = append(m.streams[streamID], enc)
	}
	return after + int64(len(envs)), nil
}
