// Package audit indexes every event of every order by the time it occurred,
// so the audit log across all orders can be paged newest first or forward
// from a position without a cross-partition ORDER BY (which the Cosmos DB
// gateway refuses to the Go SDK). The index is compact: a small fixed entry
// per event and one copy of each stream id; the events themselves stay in the event
// store and are read by id for the page being served. Each entry is 32
// bytes; the stream id's text is shared by all events of the stream.
//
// The order is (occurredAt, streamId, version): the same on every instance
// and after every restart, so a position names the same place everywhere.
// The index is bounded: beyond MaxEvents the oldest events leave it.
package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/btree"

	"orderctx/queryapi/internal/jsonscan"
)

// DefaultMaxEvents bounds an index when Options.MaxEvents is 0: about
// 160 MB at the measured ~80 bytes per event (docs/query-api.md).
const DefaultMaxEvents = 2_000_000

// Ref names one event: its stream, its version and when it occurred.
type Ref struct {
	StreamID   string
	Version    int64
	OccurredAt time.Time
}

// Position is a Ref's place in the index's order.
type Position struct {
	At       int64 // occurredAt in Unix nanoseconds
	StreamID string
	Version  int64
}

// PositionOf returns the position of an event.
func PositionOf(r Ref) Position {
	return Position{At: r.OccurredAt.UnixNano(), StreamID: r.StreamID, Version: r.Version}
}

// String encodes a position as an opaque token.
func (p Position) String() string {
	raw := strconv.FormatInt(p.At, 10) + "|" + strconv.FormatInt(p.Version, 10) + "|" + p.StreamID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ErrBadPosition is returned for a token that is not a position.
var ErrBadPosition = errors.New("not a position of the audit log")

// ParsePosition decodes a token made by Position.String.
func ParsePosition(token string) (Position, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Position{}, ErrBadPosition
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[2] == "" {
		return Position{}, ErrBadPosition
	}
	at, err1 := strconv.ParseInt(parts[0], 10, 64)
	v, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || v < 1 {
		return Position{}, ErrBadPosition
	}
	return Position{At: at, StreamID: parts[2], Version: v}, nil
}

// entry is one indexed event; stream shares the interned stream id.
type entry struct {
	at      int64
	version int64
	stream  string
}

// Options bound an index.
type Options struct {
	// MaxEvents is the most events kept; the oldest leave first.
	MaxEvents int
}

// Index is the audit index. Add is called by one goroutine; Page by any.
type Index struct {
	max int

	mu      sync.RWMutex
	tree    *btree.BTreeG[entry]
	streams map[string]string // interned stream ids
	dropped int64
}

// New returns an empty index.
func New(opts Options) *Index {
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	return &Index{max: opts.MaxEvents, streams: make(map[string]string), tree: btree.NewG(64, less)}
}

// less orders by time, then stream id, then version: text, not anything
// local, so every instance agrees.
func less(a, b entry) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.stream != b.stream {
		return a.stream < b.stream
	}
	return a.version < b.version
}

// Add indexes events; an event already there is kept once. When the index
// exceeds its bound, its oldest events leave it.
func (x *Index) Add(refs []Ref) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range refs {
		s, ok := x.streams[r.StreamID]
		if !ok {
			s = r.StreamID
			x.streams[s] = s
		}
		x.tree.ReplaceOrInsert(entry{at: r.OccurredAt.UnixNano(), version: r.Version, stream: s})
	}
	for x.tree.Len() > x.max {
		x.tree.DeleteMin()
		x.dropped++
	}
}

// Len returns the number of events indexed and how many left it for the bound.
func (x *Index) Len() (events int, dropped int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.tree.Len(), x.dropped
}

// Page returns up to limit events after position from (nil: from the
// newest, going back in time; forward: from the oldest, going forward) and
// whether more follow.
func (x *Index) Page(from *Position, forward bool, limit int) ([]Ref, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]Ref, 0, limit+1)
	visit := func(e entry) bool {
		p := Position{At: e.at, StreamID: e.stream, Version: e.version}
		if from != nil && p == *from {
			return true
		}
		out = append(out, Ref{StreamID: p.StreamID, Version: e.version, OccurredAt: time.Unix(0, e.at).UTC()})
		return len(out) <= limit
	}
	x.walk(from, forward, visit)
	if len(out) > limit {
		return out[:limit], true
	}
	return out, false
}

func (x *Index) walk(from *Position, forward bool, visit func(entry) bool) {
	if from == nil {
		if forward {
			x.tree.Ascend(visit)
		} else {
			x.tree.Descend(visit)
		}
		return
	}
	pivot := entry{at: from.At, version: from.Version, stream: from.StreamID}
	if forward {
		x.tree.AscendGreaterOrEqual(pivot, visit)
	} else {
		x.tree.DescendLessOrEqual(pivot, visit)
	}
}

// ParseEvent reads the members the index needs from a stored event document.
func ParseEvent(doc []byte) (Ref, error) {
	var r Ref
	err := jsonscan.Members(doc, func(key, value []byte) error {
		var err error
		switch string(key) {
		case "streamId":
			r.StreamID, err = jsonscan.String(value)
		case "version":
			r.Version, err = jsonscan.Int(value)
		case "occurredAt":
			var s string
			if s, err = jsonscan.String(value); err == nil {
				r.OccurredAt, err = time.Parse(time.RFC3339Nano, s)
			}
		}
		if err != nil {
			return fmt.Errorf("member %s: %w", key, err)
		}
		return nil
	})
	if err == nil && (r.StreamID == "" || r.Version < 1 || r.OccurredAt.IsZero()) {
		err = errors.New("streamId, version and occurredAt are required")
	}
	if err != nil {
		return Ref{}, fmt.Errorf("event document: %w", err)
	}
	return r, nil
}
