// Package patch implements Cosmos DB partial document update (the PATCH
// verb on a document) for the emulator: parsing the request body the SDK
// sends and applying its operations to a decoded JSON document with the
// service's semantics and error wording.
//
// Semantics follow the Azure Cosmos DB "partial document update"
// documentation; they are inspired by JSON Patch (RFC 6902) but differ:
// "set" and "incr" exist, "test" and "copy" do not, and at most 10
// operations are allowed. Paths are JSON Pointers (RFC 6901), so "~1" and
// "~0" in a segment stand for "/" and "~".
package patch

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Operation names as they appear in the "op" field. The Go SDK v1.5.0 can
// send add, set, replace, remove and incr; move is accepted because the
// service and the other SDKs support it.
const (
	OpAdd     = "add"
	OpSet     = "set"
	OpReplace = "replace"
	OpRemove  = "remove"
	OpIncr    = "incr"
	OpMove    = "move"
)

// MaxOperations is the service limit on operations in one patch request.
const MaxOperations = 10

// Operation is one patch operation in the wire format:
// {"op":"set","path":"/a","value":...}; move also carries "from".
//
// Value holds decoded JSON. The SDK omits "value" when it is nil, so an
// absent value means JSON null for add, set and replace. For incr it must be
// a number.
type Operation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

// Error is a patch failure the server reports to the client as-is: Status is
// the HTTP status code (400 for every malformed request or inapplicable
// operation, as the service answers) and Message the text for the error body.
type Error struct {
	Status  int
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func opError(i int, format string, args ...any) *Error {
	return badRequest("For Operation(%d): %s", i, fmt.Sprintf(format, args...))
}

// errSyntax is the service's generic answer to a malformed specification.
const errSyntax = "Invalid patch request: check syntax of patch specification."

// systemProperties are top-level properties the service owns and refuses to
// patch: the id and the generated metadata.
var systemProperties = map[string]bool{
	"id":           true,
	"_rid":         true,
	"_ts":          true,
	"_etag":        true,
	"_self":        true,
	"_attachments": true,
}

// IsSystemPath reports whether a patch path addresses a system property or
// something inside one. The server performs the equivalent check for the
// container's partition key paths itself, with Affects.
func IsSystemPath(path string) bool {
	segs, err := ParsePath(path)
	return err == nil && len(segs) > 0 && systemProperties[segs[0]]
}

// ParsePath splits a JSON Pointer into unescaped segments. The root pointer
// "" is rejected: a patch always targets a property or element, never the
// whole document.
func ParsePath(path string) ([]string, error) {
	if path == "" || path[0] != '/' {
		return nil, fmt.Errorf("path %q must start with '/'", path)
	}
	segs := strings.Split(path[1:], "/")
	for i, s := range segs {
		if !strings.Contains(s, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(s); j++ {
			if s[j] != '~' {
				b.WriteByte(s[j])
				continue
			}
			if j+1 >= len(s) || (s[j+1] != '0' && s[j+1] != '1') {
				return nil, fmt.Errorf("path %q has an invalid '~' escape", path)
			}
			if s[j+1] == '0' {
				b.WriteByte('~')
			} else {
				b.WriteByte('/')
			}
			j++
		}
		segs[i] = b.String()
	}
	return segs, nil
}

// Validate checks operations without looking at a document: the count
// limit, known op names, well-formed paths, no system properties, a "from"
// for move that is not an ancestor of the target, and a numeric incr value.
// ParseBody and Apply both call it.
func Validate(ops []Operation) error {
	if len(ops) == 0 {
		return badRequest(errSyntax)
	}
	if len(ops) > MaxOperations {
		return badRequest("The number of patch operations can't exceed %d.", MaxOperations)
	}
	for i, op := range ops {
		segs, err := ParsePath(op.Path)
		if err != nil {
			return opError(i, "%v. %s", err, errSyntax)
		}
		if systemProperties[segs[0]] {
			return badRequest("Invalid patch request: Can't patch system property %s.", segs[0])
		}
		switch op.Op {
		case OpAdd, OpSet, OpReplace, OpRemove:
		case OpIncr:
			if _, ok := number(op.Value); !ok {
				return opError(i, "Increment value must be a number. %s", errSyntax)
			}
		case OpMove:
			from, err := ParsePath(op.From)
			if err != nil {
				return opError(i, "'from' %v. %s", err, errSyntax)
			}
			if systemProperties[from[0]] {
				return badRequest("Invalid patch request: Can't patch system property %s.", from[0])
			}
			if len(segs) > len(from) && hasPrefix(segs, from) {
				return opError(i, "Path(%s) can't be a child of From(%s).", op.Path, op.From)
			}
		default:
			return opError(i, "Unsupported operation type %q. %s", op.Op, errSyntax)
		}
		if op.Op != OpMove && op.From != "" {
			return opError(i, "'from' is only valid for move. %s", errSyntax)
		}
	}
	return nil
}

func hasPrefix(segs, prefix []string) bool {
	if len(prefix) > len(segs) {
		return false
	}
	for i := range prefix {
		if segs[i] != prefix[i] {
			return false
		}
	}
	return true
}

// Affects reports whether any operation could change the value at path, a
// partition key path such as "/tenant" or "/a/b" (plain segments, as in a
// partition key definition): an operation on the path itself, on an ancestor
// (which replaces the subtree) or on a descendant. Move counts through both
// its source and its target. The server rejects such patches because a
// document cannot change logical partition in place.
func Affects(ops []Operation, path string) bool {
	target := strings.Split(strings.TrimPrefix(path, "/"), "/")
	touches := func(p string) bool {
		segs, err := ParsePath(p)
		return err == nil && (hasPrefix(segs, target) || hasPrefix(target, segs))
	}
	for _, op := range ops {
		if touches(op.Path) || (op.Op == OpMove && touches(op.From)) {
			return true
		}
	}
	return false
}

// arrayIndex parses an array index segment. JSON Pointer allows only
// canonical decimal numbers (no sign, no leading zeros); "-" means the
// position after the last element and is reported as n.
func arrayIndex(seg string, n int) (int, bool) {
	if seg == "-" {
		return n, true
	}
	if seg == "" || len(seg) > 1 && seg[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(seg)
	if err != nil {
		// Too large for int: certainly out of bounds, report it so.
		return int(^uint(0) >> 1), true
	}
	return v, true
}
