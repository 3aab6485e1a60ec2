package commandapi_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/infra/eventstore/storetest"
)

// memStore is an in-memory es.EventStore and es.SnapshotStore for tests. It
// keeps events encoded, as a real store does, so every load goes through the
// registry; and it has hooks to inject the failures the service must handle.
// It passes the store acceptance suite (TestMemStoreAcceptance).
type memStore struct {
	reg *es.Registry

	mu        sync.Mutex
	streams   map[string][]es.EncodedEvent
	snapshots map[string]es.Snapshot

	// Fault injection, read under mu. beforeAppend runs before an append
	// takes effect; a non-nil error fails the append with it, unless
	// commitThenFail is set, in which case the append commits and then
	// reports the error (a lost acknowledgement).
	beforeAppend   func(streamID string, expected int64) error
	commitThenFail bool
	// down makes every call fail as an unreachable store would.
	down atomic.Bool

	appends atomic.Int64 // successful appends
	loads   atomic.Int64
}

var _ interface {
	es.EventStore
	es.SnapshotStore
} = (*memStore)(nil)

func newMemStore(reg *es.Registry) *memStore {
	return &memStore{reg: reg, streams: make(map[string][]es.EncodedEvent), snapshots: make(map[string]es.Snapshot)}
}

// orderRegistry returns a registry with the order events.
func orderRegistry(t testing.TB) *es.Registry {
	t.Helper()
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

var errDown = &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: "memstore is down"}

func (m *memStore) Ready(context.Context) error {
	if m.down.Load() {
		return errDown
	}
	return nil
}

func (m *memStore) Load(ctx context.Context, streamID string) (es.Stream, error) {
	if err := m.check(ctx); err != nil {
		return es.Stream{}, err
	}
	m.loads.Add(1)
	m.mu.Lock()
	stored := append([]es.EncodedEvent(nil), m.streams[streamID]...)
	snap, hasSnap := m.snapshots[streamID]
	m.mu.Unlock()
	out := es.Stream{StreamID: streamID, RequestCharge: 1}
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

func (m *memStore) Append(ctx context.Context, streamID string, expected int64, events []es.Envelope) (es.AppendResult, error) {
	if err := m.check(ctx); err != nil {
		return es.AppendResult{}, err
	}
	if len(events) == 0 {
		return es.AppendResult{Version: expected}, nil
	}
	if len(events) > 100 {
		return es.AppendResult{}, es.Errorf(es.Invalid, "es.append_too_large", "at most 100 events per append")
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
	return es.AppendResult{Version: expected + int64(len(events)), RequestCharge: 10}, nil
}

func (m *memStore) FindCommand(ctx context.Context, streamID, commandID string) (*es.CommandRecord, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
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

func (m *memStore) ReadSnapshot(ctx context.Context, streamID string) (*es.Snapshot, error) {
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

func (m *memStore) WriteSnapshot(ctx context.Context, s es.Snapshot) error {
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

func (m *memStore) check(ctx context.Context) error {
	if m.down.Load() {
		return errDown
	}
	return ctx.Err()
}

// setBeforeAppend installs a fault hook.
func (m *memStore) setBeforeAppend(commitThenFail bool, hook func(streamID string, expected int64) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beforeAppend, m.commitThenFail = hook, commitThenFail
}

// events returns the stored events of a stream.
func (m *memStore) events(streamID string) []es.EncodedEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]es.EncodedEvent(nil), m.streams[streamID]...)
}

// appendRaw appends payloads as another writer would, bypassing hooks.
func (m *memStore) appendRaw(t testing.TB, streamID string, commandID string, payloads ...es.Payload) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	after := int64(len(m.streams[streamID]))
	envs, err := m.reg.Stamp(streamID, after, payloads, es.Causation{CommandID: commandID}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		enc, err := m.reg.EncodeEnvelope(e)
		if err != nil {
			t.Fatal(err)
		}
		m.streams[streamID] = append(m.streams[streamID], enc)
	}
}

// TestMemStoreAcceptance holds the fake to the contract every real store
// passes, so tests against it mean something for the real one.
func TestMemStoreAcceptance(t *testing.T) {
	t.Parallel()
	store := newMemStore(storetest.Registry())
	storetest.Run(t, func(*testing.T) storetest.Stores { return store })
}

var errBoom = errors.New("boom")
