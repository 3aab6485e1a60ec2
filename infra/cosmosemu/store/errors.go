// Package store is the storage engine of the embedded Cosmos DB-compatible server:
// databases, containers, items, atomic batches, partition key ranges and the
// change feed, kept in memory and made durable through a write-ahead group
// commit into bbolt. It knows nothing of HTTP; the server package maps its
// errors to Cosmos DB status codes.
package store

import "fmt"

// Error is a failure with the HTTP status and sub-status Cosmos DB would return.
type Error struct {
	Status    int
	SubStatus int
	Code      string
	Message   string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Errors shared by several operations. Messages follow the wording Cosmos DB uses.
func errNotFound(what string) *Error {
	return errf(404, "NotFound", "Entity with the specified id does not exist in the system. (%s)", what)
}

func errConflict(what string) *Error {
	return errf(409, "Conflict", "Entity with the specified id already exists in the system. (%s)", what)
}

func errPrecondition() *Error {
	return errf(412, "PreconditionFailed", "Operation cannot be performed because one of the specified precondition is not met.")
}

func errBadRequest(format string, args ...any) *Error {
	return errf(400, "BadRequest", format, args...)
}

// ErrRangeGone is returned for a partition key range that has been split.
func errRangeGone(id string) *Error {
	return &Error{Status: 410, SubStatus: 1002, Code: "Gone",
		Message: fmt.Sprintf("The partition key range %s is gone (it was split).", id)}
}
