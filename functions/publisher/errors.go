package publisher

import (
	"errors"
	"fmt"
)

// ErrUnmappable is matched by errors.Is on every *UnmappableError.
var ErrUnmappable = errors.New("event cannot be mapped to an integration event")

// UnmappableError reports the first event of a batch that can never be
// published: mapping it again gives the same answer, so retrying is useless
// and the caller parks it (and, to keep per-order order, the later events of
// its stream). Handle published nothing of the batch when it returns one.
type UnmappableError struct {
	// Index is the event's position in the batch given to Handle.
	Index int
	// EventID, StreamID, Version and Type identify the event.
	EventID  string
	StreamID string
	Version  int64
	Type     string
	// Cause says why: it wraps contracts.ErrNoRule, contracts.ErrInvalidEvent,
	// or a corrupt-history error from folding the order's stream.
	Cause error
}

func (e *UnmappableError) Error() string {
	return fmt.Sprintf("publisher: event %d of the batch (%s, %s@%d, id %q) cannot be published: %v",
		e.Index, e.Type, e.StreamID, e.Version, e.EventID, e.Cause)
}

// Unwrap returns ErrUnmappable and the cause, so errors.Is finds either.
func (e *UnmappableError) Unwrap() []error { return []error{ErrUnmappable, e.Cause} }
