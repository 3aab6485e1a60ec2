// Package eventstore keeps event streams in Cosmos DB: one immutable document
// per event in the events container (partitioned by stream), appended with
// transactional batches, and the latest snapshot per stream in the snapshots
// container. It implements es.EventStore and es.SnapshotStore.
package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/es"
	"orderctx/infra/cosmosdb"
)

// Limits of one append: a Cosmos DB transactional batch holds at most 100
// operations and 2 MB.
const (
	MaxEventsPerAppend = 100
	MaxAppendBytes     = 2*1024*1024 - 64*1024 // room for the batch envelope
)

// Store is the Cosmos DB event store.
type Store struct {
	events    *azcosmos.ContainerClient
	snapshots *azcosmos.ContainerClient
	reg       *es.Registry
	accept    func(es.Snapshot) bool
}

// AcceptSnapshots sets which stored snapshots Load may use; others are
// ignored and the stream is replayed from its first event. Snapshots are
// never upcast, so a loader accepts only the state shape it understands.
// By default every snapshot is used.
func (s *Store) AcceptSnapshots(accept func(es.Snapshot) bool) { s.accept = accept }

// New returns a store over an open connection.
func New(conn *cosmosdb.Conn, reg *es.Registry) *Store {
	return &Store{events: conn.Container(cosmosdb.Events), snapshots: conn.Container(cosmosdb.Snapshots), reg: reg}
}

// eventDoc is the stored form of one event. Its id is derived from stream
// and version, so two writers of the same version collide on create.
type eventDoc struct {
	ID string `json:"id"`
	es.EncodedEvent
}

// EventDocumentID is the id of the event document at a stream version.
func EventDocumentID(streamID string, version int64) string {
	return streamID + ":" + strconv.FormatInt(version, 10)
}

// snapshotDoc is the stored form of a snapshot: one per stream, id = stream id.
type snapshotDoc struct {
	ID string `json:"id"`
	es.Snapshot
}

// Ready checks that the events container can be reached.
func (s *Store) Ready(ctx context.Context) error {
	_, err := s.events.Read(ctx, nil)
	return translate(err, "read events container")
}

// Append implements es.EventStore.
func (s *Store) Append(ctx context.Context, streamID string, expectedVersion int64, events []es.Envelope) (es.AppendResult, error) {
	if len(events) == 0 {
		return es.AppendResult{Version: expectedVersion}, nil
	}
	if len(events) > MaxEventsPerAppend {
		return es.AppendResult{}, es.Errorf(es.Invalid, "es.append_too_large", "a command may append at most %d events, not %d", MaxEventsPerAppend, len(events))
	}
	batch := s.events.NewTransactionalBatch(azcosmos.NewPartitionKeyString(streamID))
	size := 0
	for i, e := range events {
		want := expectedVersion + int64(i) + 1
		if e.StreamID != streamID || e.Version != want {
			return es.AppendResult{}, es.Errorf(es.Internal, es.RuleCorruptHistory, "event %d of the append is %s@%d, want %s@%d", i, e.StreamID, e.Version, streamID, want)
		}
		enc, err := s.reg.EncodeEnvelope(e)
		if err != nil {
			return es.AppendResult{}, err
		}
		b, err := json.Marshal(eventDoc{ID: EventDocumentID(streamID, e.Version), EncodedEvent: enc})
		if err != nil {
			return es.AppendResult{}, fmt.Errorf("encode %s@%d: %w", streamID, e.Version, err)
		}
		size += len(b)
		batch.CreateItem(b, nil)
	}
	if size > MaxAppendBytes {
		return es.AppendResult{}, es.Errorf(es.Invalid, "es.append_too_large", "the events of one command may take at most %d bytes, not %d", MaxAppendBytes, size)
	}
	resp, err := s.events.ExecuteTransactionalBatch(ctx, batch, nil)
	if err != nil {
		return es.AppendResult{}, translate(err, "append "+streamID)
	}
	last := expectedVersion + int64(len(events))
	if !resp.Success {
		for _, r := range resp.OperationResults {
			switch r.StatusCode {
			case http.StatusFailedDependency:
				continue
			case http.StatusConflict:
				return es.AppendResult{}, fmt.Errorf("append %s@%d: %w", streamID, expectedVersion+1, es.ErrConcurrency)
			case http.StatusBadRequest:
				return es.AppendResult{}, es.Errorf(es.Invalid, "es.append_refused", "append %s: the store refused an event (invalid stream id or document)", streamID)
			case http.StatusRequestEntityTooLarge:
				return es.AppendResult{}, es.Errorf(es.Invalid, "es.append_too_large", "append %s: an event is too large", streamID)
			default:
				return es.AppendResult{}, es.Errorf(es.Internal, "es.append_failed", "append %s failed with status %d", streamID, r.StatusCode)
			}
		}
		return es.AppendResult{}, es.Errorf(es.Internal, "es.append_failed", "append %s failed", streamID)
	}
	return es.AppendResult{Version: last, RequestCharge: float64(resp.RequestCharge)}, nil
}

// Load implements es.EventStore: the latest usable snapshot (a point read),
// then every event after it in one partition-scoped query ordered by
// version: two requests (more only for pages beyond what one answer holds,
// about 4 MB). Cosmos DB serves the version range from its index, so the
// query's charge follows the events it returns, not the stream's length.
func (s *Store) Load(ctx context.Context, streamID string) (es.Stream, error) {
	out := es.Stream{StreamID: streamID}
	snap, charge, err := s.readSnapshot(ctx, streamID)
	if err != nil {
		return out, err
	}
	out.RequestCharge += charge
	if snap != nil && (s.accept == nil || s.accept(*snap)) {
		out.Snapshot, out.Version = snap, snap.Version
	}
	docs, charge, err := s.query(ctx, azcosmos.NewPartitionKeyString(streamID), "SELECT * FROM c WHERE c.version > @v ORDER BY c.version",
		[]azcosmos.QueryParameter{{Name: "@v", Value: out.Version}})
	out.RequestCharge += charge
	if err != nil {
		return out, err
	}
	return out, s.appendDecoded(&out, docs)
}

// appendDecoded decodes stored events onto a stream, checking they continue it.
func (s *Store) appendDecoded(out *es.Stream, docs [][]byte) error {
	for _, raw := range docs {
		var d eventDoc
		if err := json.Unmarshal(raw, &d); err != nil {
			return es.Errorf(es.Internal, es.RuleCorruptHistory, "stream %s: undecodable event: %v", out.StreamID, err)
		}
		if d.Version != out.Version+1 {
			return es.Errorf(es.Internal, es.RuleCorruptHistory, "stream %s: version %d follows %d", out.StreamID, d.Version, out.Version)
		}
		env, err := s.reg.DecodeEvent(d.EncodedEvent)
		if err != nil {
			return err
		}
		out.Events = append(out.Events, env)
		out.Version = d.Version
	}
	return nil
}

// FindCommand implements es.EventStore.
func (s *Store) FindCommand(ctx context.Context, streamID, commandID string) (*es.CommandRecord, error) {
	docs, _, err := s.query(ctx, azcosmos.NewPartitionKeyString(streamID),
		"SELECT c.eventId, c.version, c.commandHash FROM c WHERE c.commandId = @id ORDER BY c.version",
		[]azcosmos.QueryParameter{{Name: "@id", Value: commandID}})
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	rec := &es.CommandRecord{CommandID: commandID}
	for _, raw := range docs {
		var d struct {
			EventID     string `json:"eventId"`
			Version     int64  `json:"version"`
			CommandHash string `json:"commandHash"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, es.Errorf(es.Internal, es.RuleCorruptHistory, "stream %s: %v", streamID, err)
		}
		rec.EventIDs = append(rec.EventIDs, d.EventID)
		rec.Version, rec.CommandHash = d.Version, d.CommandHash
	}
	return rec, nil
}

func (s *Store) query(ctx context.Context, pk azcosmos.PartitionKey, q string, params []azcosmos.QueryParameter) ([][]byte, float64, error) {
	pager := s.events.NewQueryItemsPager(q, pk, &azcosmos.QueryOptions{QueryParameters: params, PageSizeHint: -1})
	var out [][]byte
	charge := 0.0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, charge, translate(err, "query events")
		}
		charge += float64(page.RequestCharge)
		out = append(out, page.Items...)
	}
	return out, charge, nil
}

// ReadSnapshot implements es.SnapshotStore.
func (s *Store) ReadSnapshot(ctx context.Context, streamID string) (*es.Snapshot, error) {
	snap, _, err := s.readSnapshot(ctx, streamID)
	return snap, err
}

func (s *Store) readSnapshot(ctx context.Context, streamID string) (*es.Snapshot, float64, error) {
	resp, err := s.snapshots.ReadItem(ctx, azcosmos.NewPartitionKeyString(streamID), streamID, nil)
	if cosmosdb.StatusCode(err) == http.StatusNotFound {
		return nil, float64(resp.RequestCharge), nil
	}
	if err != nil {
		return nil, 0, translate(err, "read snapshot "+streamID)
	}
	var d snapshotDoc
	if err := json.Unmarshal(resp.Value, &d); err != nil {
		// An unreadable snapshot is not fatal: events can always rebuild the state.
		return nil, float64(resp.RequestCharge), nil
	}
	return &d.Snapshot, float64(resp.RequestCharge), nil
}

// WriteSnapshot implements es.SnapshotStore: it replaces the stored snapshot
// only with a newer one, using the etag so a concurrent older write cannot win.
func (s *Store) WriteSnapshot(ctx context.Context, snap es.Snapshot) error {
	pk := azcosmos.NewPartitionKeyString(snap.StreamID)
	body, err := json.Marshal(snapshotDoc{ID: snap.StreamID, Snapshot: snap})
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := s.snapshots.ReadItem(ctx, pk, snap.StreamID, nil)
		switch cosmosdb.StatusCode(err) {
		case http.StatusNotFound:
			_, err = s.snapshots.CreateItem(ctx, pk, body, nil)
			if cosmosdb.StatusCode(err) == http.StatusConflict {
				continue
			}
			return translate(err, "write snapshot")
		case 0:
		default:
			return translate(err, "read snapshot")
		}
		var stored snapshotDoc
		if json.Unmarshal(cur.Value, &stored) == nil && stored.Version >= snap.Version {
			return nil
		}
		etag := cur.ETag
		_, err = s.snapshots.ReplaceItem(ctx, pk, snap.StreamID, body, &azcosmos.ItemOptions{IfMatchEtag: &etag})
		if cosmosdb.StatusCode(err) == http.StatusPreconditionFailed {
			continue
		}
		return translate(err, "write snapshot")
	}
	return fmt.Errorf("write snapshot %s: %w", snap.StreamID, es.ErrConcurrency)
}

// translate turns SDK and transport errors into domain error codes.
func translate(err error, what string) error { return cosmosdb.Translate(err, what) }
