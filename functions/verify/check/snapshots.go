package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/parking"
)

// snapshot is a stored snapshot waiting for the fold to reach its version.
type snapshot struct {
	version int64
	// state is the order state it restores, as JSON; nil for a snapshot of
	// another aggregate type or state schema (only its version is checked:
	// loaders ignore it and replay the stream).
	state []byte
}

// readSnapshots reads every snapshot before the events, so the fold can
// compare each one when it passes its version.
func (c *checker) readSnapshots(ctx context.Context) (int, error) {
	n, err := readAll(ctx, c.src.Snapshots, "snapshots", c.opts.Progress, c.addSnapshot)
	c.report.Counts.Snapshots = n
	return n, err
}

func (c *checker) addSnapshot(raw []byte) {
	var doc struct {
		ID string `json:"id"`
		es.Snapshot
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.StreamID == "" {
		id, _ := parking.Salvage(raw)
		c.diff(Difference{Kind: SnapshotUndecodable, Stream: id, Detail: fmt.Sprintf("not a snapshot document (%v)", err)})
		return
	}
	snap := &snapshot{version: doc.Version}
	if order.AcceptsSnapshot(doc.Snapshot) {
		o, err := order.FromSnapshot(doc.Snapshot, nil)
		if err != nil {
			c.diff(Difference{Kind: SnapshotUndecodable, Stream: doc.StreamID, Version: doc.Version, Detail: "the order cannot be restored from it: " + err.Error()})
			return
		}
		if snap.state, err = json.Marshal(o.State()); err != nil {
			c.diff(Difference{Kind: SnapshotUndecodable, Stream: doc.StreamID, Version: doc.Version, Detail: err.Error()})
			return
		}
	}
	c.snapshots[doc.StreamID] = snap
}

// compareSnapshot compares the stream's snapshot with the fold, which is at
// the snapshot's version.
func (c *checker) compareSnapshot(s *stream) {
	if s.snap.state == nil {
		return
	}
	fold, err := json.Marshal(s.order.State())
	if err != nil {
		c.diff(Difference{Kind: SnapshotDiffers, Stream: s.id, Version: s.folded, Detail: err.Error()})
		return
	}
	if !bytes.Equal(fold, s.snap.state) {
		c.diff(Difference{Kind: SnapshotDiffers, Stream: s.id, Version: s.folded, Detail: jsonDiff("snapshot", s.snap.state, "fold", fold)})
	}
}

// unreachedSnapshot reports a snapshot whose version the fold never reached.
func (c *checker) unreachedSnapshot(s *stream) {
	switch {
	case s.snap.version > s.last:
		c.diff(Difference{Kind: SnapshotAhead, Stream: s.id, Version: s.snap.version,
			Detail: fmt.Sprintf("a snapshot at version %d of a stream whose last version is %d", s.snap.version, s.last)})
	case !s.isOrder:
		// Not an order: nothing folds it, and its version is within the stream.
	default:
		c.diff(Difference{Kind: SnapshotUnverifiable, Stream: s.id, Version: s.snap.version,
			Detail: fmt.Sprintf("the fold stops at version %d (%s)", s.folded, stopReason(s))})
	}
	s.snap = nil
}

func stopReason(s *stream) string {
	if s.stop != "" {
		return s.stop
	}
	return "a version is missing"
}
