package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details document, the body of every error
// response. Rule repeats the violated rule of a single-rule problem, so a
// client can branch on it without looking into Errors.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Rule      string       `json:"rule,omitempty"`
	RequestID string       `json:"requestId,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError is one problem with the request: the field, parameter or header
// at fault (empty when the rule concerns the request as a whole), the rule id
// and a human-readable message.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Details of the problems whose cause is not shown: an internal error's text
// may reveal implementation and is only logged.
const (
	InternalDetail    = "an internal error occurred; quote the request id when reporting it"
	UnavailableDetail = "the event store cannot be reached now; retry after the indicated delay"
)

// Kind is what a class of errors becomes over HTTP: a status and a problem
// type with its title.
type Kind struct {
	Status int
	Slug   string
	Title  string
}

// TypeURI is the problem type. Type URIs are URNs: stable identifiers that
// do not pretend to be documentation pages.
func (k Kind) TypeURI() string { return "urn:orderctx:problem:" + k.Slug }

// Problem starts the problem document of this kind.
func (k Kind) Problem(requestID, instance string) Problem {
	return Problem{Type: k.TypeURI(), Title: k.Title, Status: k.Status, Instance: instance, RequestID: requestID}
}

// StatusKind is the kind of a status no table names, such as a 4xx that echo
// raises itself: typed "http-<status>", titled with the status text.
func StatusKind(status int) Kind {
	return Kind{status, "http-" + strconv.Itoa(status), http.StatusText(status)}
}

// EchoDetail is the detail of an error echo raised itself: its message, or
// the status text, in lower case like every other detail.
func EchoDetail(he *echo.HTTPError) string {
	if m, ok := he.Message.(string); ok && m != "" {
		return strings.ToLower(m)
	}
	return strings.ToLower(http.StatusText(he.Code))
}

// WriteProblem sends p, a Problem or a type that embeds one, with status and
// the headers every problem carries: never cached, and a Retry-After of
// retryAfter (whole seconds, at least 1) on a 503.
func WriteProblem(c echo.Context, status int, retryAfter time.Duration, p any) error {
	h := c.Response().Header()
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", RetryAfterSeconds(retryAfter))
	}
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, ProblemContentType)
	c.Response().WriteHeader(status)
	return EncodeJSON(c.Response(), p)
}

// RetryAfterSeconds formats d as a Retry-After value: whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int(max(1, d.Round(time.Second).Seconds())))
}

// WriteJSON sends v as application/json with status.
func WriteJSON(c echo.Context, status int, v any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(status)
	return EncodeJSON(c.Response(), v)
}

// EncodeJSON writes v as one line of JSON, leaving <, > and & as they are
// (the answers are not HTML).
func EncodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
