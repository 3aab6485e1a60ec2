package store

import "fmt"

// Error is a failure as Cosmos DB reports it: Status is the HTTP status
// (400, 404, 409, 412, 413, 424, 410 with SubStatus 1002 for a split range,
// 503 while closing), Code and Message the body's {code, message}. The
// server writes it as it is; any other error is internal (500).
// AdditionalInfo, when set, is the body's additionalErrorInfo: the gateway
// puts the query plan there when it refuses a cross-partition query.
type Error struct {
	Status         int
	SubStatus      int
	Code           string
	Message        string
	AdditionalInfo string
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

// errRangeGone is returned for a partition key range that has been split.
func errRangeGone(id string) *Error {
	return &Error{Status: 410, SubStatus: 1002, Code: "Gone",
		Message: fmt.Sprintf("The partition key range %s is gone (it was split).", id)}
}
