package cosmossql

import "fmt"

// Limits that keep hostile input from exhausting the stack or the CPU.
const (
	// MaxQueryLength is the longest query text Parse accepts, in bytes. The
	// service documents 512 KB as its maximum SQL query length (older
	// documentation said 256 KB), and accounts report maxSqlQueryInputLength
	// 524288.
	MaxQueryLength = 512 * 1024

	// MaxNesting bounds the depth of the expression tree (parentheses,
	// operator chains, nested literals and calls). AND and OR chains are kept
	// flat, so long filters do not count against it.
	MaxNesting = 256
)

// Error is a query error that the server returns as HTTP 400 with Message in
// the body. Every error that Parse and Run return has this type.
type Error struct {
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// errorf builds an *Error; a helper so every failure path has the same type.
func errorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// unsupported reports a construct that is valid Cosmos DB SQL but outside the
// subset this package evaluates, so callers can tell it from a typo.
func unsupported(what string) *Error {
	return errorf("%s is not supported by this Cosmos DB emulator", what)
}
