package es

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error for every adapter: a handful of codes is enough
// to pick an HTTP status, a dead-letter or a retry without knowing the
// individual rules. An adapter maps each code in one table (the command API's
// is in commandapi/problem.go), so a code must mean the same wherever it is
// raised: whether a check ran before or after the store round trip never
// changes the code.
type Code string

// Error codes.
const (
	// Invalid means the input is unacceptable on its own: a field is missing,
	// malformed or out of range. It is found without loading any state, so
	// the same request is always invalid.
	Invalid Code = "invalid"
	// NotFound means the addressed entity does not exist.
	NotFound Code = "not_found"
	// Conflict means the entity already exists or another writer got there first.
	Conflict Code = "conflict"
	// Precondition means a condition the caller stated does not hold: the
	// stream is not at the version the caller expected (RuleStaleVersion).
	Precondition Code = "precondition"
	// Rejected means the input is well formed but the entity's current state
	// forbids it: shipping an unpaid order, paying an amount other than the
	// total, adding a line to a full order. The same request may succeed
	// against another state.
	Rejected Code = "rejected"
	// CommandReused means a command id was used before for a different
	// request (RuleCommandReused); the caller must pick a new id.
	CommandReused Code = "command_reused"
	// Internal means a fault the caller cannot fix; its details are logged, never shown.
	Internal Code = "internal"
	// Unavailable means a dependency (the event store) cannot be reached now;
	// the same request may succeed later.
	Unavailable Code = "unavailable"
)

// Rule ids of the kernel. Domain packages define their own rule ids with their
// own prefix.
const (
	// RuleConcurrency is the rule of ErrConcurrency.
	RuleConcurrency = "es.concurrency"
	// RuleUnknownEventType is the rule of ErrUnknownEventType.
	RuleUnknownEventType = "es.unknown_event_type"
	// RuleMissingUpcaster is the rule of ErrMissingUpcaster.
	RuleMissingUpcaster = "es.missing_upcaster"
	// RuleUnsupportedSchema is the rule of ErrUnsupportedSchema.
	RuleUnsupportedSchema = "es.unsupported_schema_version"
	// RuleSnapshotIncompatible is the rule of ErrSnapshotIncompatible.
	RuleSnapshotIncompatible = "es.snapshot_incompatible"
	// RuleRegistration is the rule of errors returned while registering event types.
	RuleRegistration = "es.registration"
	// RuleStaleVersion is the rule of an append whose expected version is not
	// the stream's current version (an If-Match precondition).
	RuleStaleVersion = "es.stale_version"
	// RuleStoreUnavailable is the rule of errors raised when the store cannot be reached.
	RuleStoreUnavailable = "es.store_unavailable"
	// RuleCommandReused is the rule of a command id seen before with a different request.
	RuleCommandReused = "es.command_id_reused"
	// RuleCorruptHistory is the rule of errors raised when a stream's events do
	// not fit together (wrong stream, gaps, payloads that cannot be applied).
	RuleCorruptHistory = "es.corrupt_history"
)

// Sentinel errors. Wrap them with %w to add context; errors.Is still finds them
// and ErrorCode still reports their code.
var (
	// ErrConcurrency reports that another writer appended to the stream first;
	// the caller may reload and retry the command.
	ErrConcurrency = &Error{Code: Conflict, Rule: RuleConcurrency, Message: "the stream was changed by another writer"}
	// ErrUnknownEventType reports a logical event type that nobody registered.
	ErrUnknownEventType = &Error{Code: Internal, Rule: RuleUnknownEventType, Message: "unknown event type"}
	// ErrMissingUpcaster reports a stored schema version with no way to the current one.
	ErrMissingUpcaster = &Error{Code: Internal, Rule: RuleMissingUpcaster, Message: "no upcaster for stored schema version"}
	// ErrUnsupportedSchema reports a schema version this build cannot read, such
	// as one newer than the current version written by a later release.
	ErrUnsupportedSchema = &Error{Code: Internal, Rule: RuleUnsupportedSchema, Message: "unsupported schema version"}
	// ErrSnapshotIncompatible reports a snapshot that does not fit the aggregate
	// (other stream, type or state schema); loaders fall back to a full replay.
	ErrSnapshotIncompatible = &Error{Code: Internal, Rule: RuleSnapshotIncompatible, Message: "snapshot does not fit the aggregate"}
)

// Error is a domain error. Rule is a stable id of the violated rule (such as
// "order.not_paid") so clients can react to it without parsing Message; Field
// is the JSON path of the offending input (such as "items[2].quantity") when
// one field is to blame.
type Error struct {
	Code    Code
	Rule    string
	Field   string
	Message string
}

// Error formats the error for logs, keeping field and rule visible.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Rule != "" {
		b.WriteString(" [")
		b.WriteString(e.Rule)
		b.WriteString("]")
	}
	return b.String()
}

// Errorf returns an *Error with a formatted message and no field.
func Errorf(code Code, rule, format string, args ...any) *Error {
	return &Error{Code: code, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error that blames one input field.
func FieldErrorf(code Code, rule, field, format string, args ...any) *Error {
	return &Error{Code: code, Rule: rule, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's tree, "" for nil and
// Internal for any other error, so unknown failures are never reported as the
// caller's fault.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns a message that is safe to show to a client: the message
// of the first *Error in err's tree, prefixed with its field if it has one
// (field messages are phrased to follow the field name, as in "orderId: is
// required"), or a generic text for internal errors, whose details may reveal
// implementation and belong in logs only. Use AllErrors to list every problem
// of a joined validation error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" && e.Code != Internal {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return "internal error"
}

// ErrorRule returns the rule id of the first *Error in err's tree, or "".
func ErrorRule(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Rule
	}
	return ""
}

// AllErrors returns every *Error in err's tree in depth-first order, so that an
// adapter can report all field problems of a joined validation error at once.
func AllErrors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}
