package snapshotter

import "fmt"

// DefaultEvery is the default snapshot interval, in events per stream.
const DefaultEvery = 50

// Policy says when an order gets a new snapshot: every Every events. A
// snapshot bounds what the write side loads to at most about Every events
// after it; a smaller Every means cheaper loads and more snapshot writes.
type Policy struct {
	Every int64
}

// Validate reports an interval below 1.
func (p Policy) Validate() error {
	if p.Every < 1 {
		return fmt.Errorf("snapshotter: the snapshot interval must be at least 1 event, not %d", p.Every)
	}
	return nil
}

// crossed reports whether versions lo..hi of a batch pass a multiple of Every.
func (p Policy) crossed(lo, hi int64) bool {
	return (lo-1)/p.Every < hi/p.Every
}

// Due reports whether a stream needs a snapshot after a batch that held its
// versions lo..hi: when the batch crossed a multiple of Every, or when the
// stream is Every or more events past its last snapshot (last; 0 for none).
func (p Policy) Due(lo, hi, last int64) bool {
	return p.crossed(lo, hi) || hi-last >= p.Every
}
