package check

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Kind names a kind of difference; the names are stable (scripts read them
// from the JSON report).
type Kind string

// The kinds of difference. Each is a mismatch: verify fails when it finds one.
const (
	// EventUndecodable: an event document that is not JSON, or has no
	// streamId or version.
	EventUndecodable Kind = "event.undecodable"
	// EventIDMismatch: a document whose id is not <streamId>:<version>.
	EventIDMismatch Kind = "event.id_mismatch"
	// EventDuplicateID: two event documents carry the same eventId.
	EventDuplicateID Kind = "event.duplicate_id"
	// EventDuplicateVersion: two documents of a stream carry one version.
	EventDuplicateVersion Kind = "event.duplicate_version"
	// StreamGap: versions missing between 1 and a stream's last version.
	StreamGap Kind = "stream.gap"
	// StreamUnfoldable: the domain cannot decode or apply an event of an
	// order stream, and no consumer parked it.
	StreamUnfoldable Kind = "stream.unfoldable"
	// ViewMissing: an order whose fold has a version has no view.
	ViewMissing Kind = "view.missing"
	// ViewUnexpected: a view of an order whose projector parked its first event.
	ViewUnexpected Kind = "view.unexpected"
	// ViewStale: a view at a lower version than the fold of its stream.
	ViewStale Kind = "view.stale"
	// ViewAhead: a view at a higher version than the fold of its stream.
	ViewAhead Kind = "view.ahead"
	// ViewDiffers: a view at the fold's version with other content.
	ViewDiffers Kind = "view.differs"
	// ViewOrphan: a view without events.
	ViewOrphan Kind = "view.orphan"
	// ViewUndecodable: a view document that does not decode.
	ViewUndecodable Kind = "view.undecodable"
	// SnapshotDiffers: a snapshot whose state is not the fold of the events
	// up to its version.
	SnapshotDiffers Kind = "snapshot.differs"
	// SnapshotAhead: a snapshot past its stream's last event, or of a stream
	// without events.
	SnapshotAhead Kind = "snapshot.ahead"
	// SnapshotUnverifiable: the fold never reaches the snapshot's version
	// (a gap or an event the domain refuses comes first).
	SnapshotUnverifiable Kind = "snapshot.unverifiable"
	// SnapshotUndecodable: a snapshot document or order state that does not decode.
	SnapshotUndecodable Kind = "snapshot.undecodable"
	// BusMissing: a source event without a message (and not parked by the
	// publisher).
	BusMissing Kind = "bus.missing"
	// BusDuplicate: one event published as two or more stored messages.
	BusDuplicate Kind = "bus.duplicate"
	// BusUnknown: a message whose id is no event's id.
	BusUnknown Kind = "bus.unknown"
	// BusDiffers: a message whose subject or Stream-Version does not match
	// its event.
	BusDiffers Kind = "bus.differs"
	// LetterOrphan: a parked event that is not in the events container.
	LetterOrphan Kind = "letter.orphan"
	// AckMissing: an acknowledged command (Options.Acks) whose events are
	// not in the store at the version its answer gave.
	AckMissing Kind = "ack.missing"
	// AckTwice: an acknowledged command with more events in the store than
	// its answer named: it was applied twice.
	AckTwice Kind = "ack.twice"
	// AckDiffers: one command acknowledged twice with different answers.
	AckDiffers Kind = "ack.differs"
)

// Difference is one mismatch found.
type Difference struct {
	Kind Kind `json:"kind"`
	// Stream and Version place it, when it belongs to an event stream.
	Stream  string `json:"stream,omitempty"`
	Version int64  `json:"version,omitempty"`
	// Source names the view source or the bus stream, when it is not the
	// event store's.
	Source string `json:"source,omitempty"`
	Detail string `json:"detail"`
}

func (d Difference) String() string {
	where := d.Stream
	if d.Stream != "" && d.Version > 0 {
		where = fmt.Sprintf("%s@%d", d.Stream, d.Version)
	}
	if d.Source != "" && where != "" {
		where += " (" + d.Source + ")"
	} else if d.Source != "" {
		where = "(" + d.Source + ")"
	}
	if where == "" {
		return fmt.Sprintf("%-22s %s", d.Kind, d.Detail)
	}
	return fmt.Sprintf("%-22s %s: %s", d.Kind, where, d.Detail)
}

// Letter is a parked event as the report lists it (the letter without the
// copy of the document).
type Letter struct {
	Consumer  string    `json:"consumer"`
	ID        string    `json:"id"`
	Stream    string    `json:"stream,omitempty"`
	Version   int64     `json:"version,omitempty"`
	EventType string    `json:"eventType,omitempty"`
	Reason    string    `json:"reason"`
	Behind    int64     `json:"behind,omitempty"`
	ParkedAt  time.Time `json:"parkedAt"`
}

// Counts is what was read.
type Counts struct {
	Events       int `json:"events"`
	Streams      int `json:"streams"`
	OrderStreams int `json:"orderStreams"`
	Snapshots    int `json:"snapshots"`
	Letters      int `json:"letters"`
	// Views counts the documents of each view source.
	Views map[string]int `json:"views"`
	// Messages counts the bus stream's messages; -1 when the bus was not checked.
	Messages int `json:"messages"`
	// BeyondRetention counts events without a message that are older than
	// the bus stream's first retained message after the stream dropped
	// messages (MaxAge): not a difference.
	BeyondRetention int `json:"beyondRetention,omitempty"`
	// Acks counts the acknowledged commands checked (Options.Acks), once each.
	Acks int `json:"acks,omitempty"`
}

// Phase is the time one part of the check took.
type Phase struct {
	Name    string        `json:"name"`
	Items   int           `json:"items"`
	Elapsed time.Duration `json:"elapsedNs"`
}

// Report is the outcome of a check.
type Report struct {
	Counts Counts `json:"counts"`
	// Differences holds the first MaxDiffs differences, in the order found;
	// DifferenceCount counts all of them, ByKind by kind.
	Differences     []Difference `json:"differences"`
	DifferenceCount int          `json:"differenceCount"`
	ByKind          map[Kind]int `json:"byKind"`
	// Parked holds the first MaxDiffs parked events (by consumer, stream,
	// version); ParkedCount counts all of them. They are expected gaps in
	// views and on the bus, not differences.
	Parked      []Letter `json:"parked"`
	ParkedCount int      `json:"parkedCount"`
	// Bus names the stream checked ("" when skipped).
	Bus     string        `json:"bus,omitempty"`
	Phases  []Phase       `json:"phases"`
	Elapsed time.Duration `json:"elapsedNs"`

	maxDiffs int
}

// OK reports whether the check found no difference.
func (r *Report) OK() bool { return r.DifferenceCount == 0 }

// EventsPerSecond is the rate of the whole check.
func (r *Report) EventsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Counts.Events) / r.Elapsed.Seconds()
}

func (r *Report) add(d Difference) {
	r.DifferenceCount++
	r.ByKind[d.Kind]++
	if len(r.Differences) < r.maxDiffs {
		r.Differences = append(r.Differences, d)
	}
}

// KindCounts returns the differences by kind, most frequent first.
func (r *Report) KindCounts() []string {
	kinds := make([]Kind, 0, len(r.ByKind))
	for k := range r.ByKind {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b Kind) int { return cmp.Or(cmp.Compare(r.ByKind[b], r.ByKind[a]), cmp.Compare(a, b)) })
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = fmt.Sprintf("%s %d", k, r.ByKind[k])
	}
	return out
}
