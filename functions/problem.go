package functions

import (
	"encoding/json"
	"errors"
	"net/http"

	"orderctx/functions/protocol"
)

// problemContentType is the media type of every error response (RFC 9457).
// The Functions host ignores the body of a failed invocation; it is for
// people reading traces and for funchost's logs.
const problemContentType = "application/problem+json"

// problem is an RFC 9457 problem details document.
type problem struct {
	Type         string `json:"type"`
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Detail       string `json:"detail,omitempty"`
	Field        string `json:"field,omitempty"`
	Rule         string `json:"rule,omitempty"`
	InvocationID string `json:"invocationId,omitempty"`
}

// problemKind is one row of the error-to-HTTP table.
type problemKind struct {
	status      int
	slug, title string
}

var (
	kindInvalid   = problemKind{http.StatusBadRequest, "invalid-invocation", "The invocation request cannot be read"}
	kindTooLarge  = problemKind{http.StatusRequestEntityTooLarge, "body-too-large", "The invocation request is too large"}
	kindNotFound  = problemKind{http.StatusNotFound, "unknown-function", "No such function"}
	kindNoMethod  = problemKind{http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"}
	kindConsumer  = problemKind{http.StatusInternalServerError, "consumer-failed", "The consumer failed; the batch will be retried"}
	kindCancelled = problemKind{http.StatusServiceUnavailable, "shutting-down", "The handler stopped before the batch was processed"}
)

// errNotFound and errMethod are the routing failures.
var (
	errNotFound = errors.New("no function of this name")
	errMethod   = errors.New("only POST invokes a function")
)

// consumerError marks a failure of the consumer (or its panic).
type consumerError struct{ err error }

func (e *consumerError) Error() string { return "consumer: " + e.err.Error() }
func (e *consumerError) Unwrap() error { return e.err }

// problemFor maps an error to its problem: the one place that decides the
// status of a failed invocation. A consumer's own message is logged, not
// sent: it may reveal internals.
func problemFor(err error) problem {
	var de *protocol.DecodeError
	var ce *consumerError
	var k problemKind
	p := problem{}
	switch {
	case errors.As(err, &de):
		k, p.Detail, p.Field, p.Rule = kindInvalid, de.Message, de.Field, de.Rule
		if de.Rule == protocol.RuleTooLarge {
			k = kindTooLarge
		}
	case errors.Is(err, errNotFound):
		k, p.Detail = kindNotFound, err.Error()
	case errors.Is(err, errMethod):
		k, p.Detail = kindNoMethod, err.Error()
	case errors.As(err, &ce) && isCancellation(ce.err):
		k, p.Detail = kindCancelled, "the invocation was cancelled; the host retries it"
	default:
		k, p.Detail = kindConsumer, "see the handler's log for this invocation id"
	}
	p.Type, p.Title, p.Status = "urn:orderctx:problem:"+k.slug, k.title, k.status
	return p
}

func writeProblem(w http.ResponseWriter, p problem) {
	h := w.Header()
	h.Set("Content-Type", problemContentType)
	h.Set("Cache-Control", "no-store")
	if p.Status == http.StatusMethodNotAllowed {
		h.Set("Allow", "GET, HEAD, POST")
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
