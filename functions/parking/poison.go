package parking

import (
	"fmt"

	"orderctx/domain/es"
)

// PoisonError names an event that can never be processed: retrying it would
// fail the same way forever (it does not decode, its type is unknown, the
// domain refuses to fold it). A Handler returns one per such event, several
// joined with errors.Join; Consumer parks each of them and the rest of its
// stream, and runs the batch again without them.
type PoisonError struct {
	StreamID string
	Version  int64
	EventID  string
	Type     string
	// Reason says why, for the person who reads the parked document.
	Reason string
	Err    error
}

// Poison returns a PoisonError for an event, with err as the reason.
func Poison(e es.Envelope, err error) *PoisonError {
	return &PoisonError{StreamID: e.StreamID, Version: e.Version, EventID: e.EventID, Type: e.Type, Reason: err.Error(), Err: err}
}

func (e *PoisonError) Error() string {
	return fmt.Sprintf("poison event %s@%d: %s", e.StreamID, e.Version, e.Reason)
}

func (e *PoisonError) Unwrap() error { return e.Err }

// poisons returns the PoisonErrors of err's tree, and ok=false when the tree
// also holds any other failure: then the whole batch is a transient failure
// and nothing is parked, because a transient error must never park an event.
func poisons(err error) (found []*PoisonError, ok bool) {
	ok = true
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *PoisonError:
			found = append(found, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		default:
			ok = false
		}
	}
	walk(err)
	return found, ok && len(found) > 0
}
