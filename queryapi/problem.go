package queryapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = "application/problem+json"

// Rule ids of the query side. Clients may branch on them; they never change
// meaning. Rules shared with the command API keep its names.
const (
	// RuleUnknownParameter: the query string has a parameter the endpoint does not define.
	RuleUnknownParameter = "request.unknown_parameter"
	// RuleDuplicateParameter: a parameter is given more than once.
	RuleDuplicateParameter = "request.duplicate_parameter"
	// RuleInvalidParameter: a parameter's value is malformed or out of range.
	RuleInvalidParameter = "request.invalid_parameter"
	// RuleQueryTooLong: the query string exceeds Options.MaxQueryBytes.
	RuleQueryTooLong = "request.query_too_long"
	// RuleCursorMismatch: a parameter contradicts the query the cursor continues.
	RuleCursorMismatch = "request.cursor_mismatch"
	// RuleHeader: a header (If-None-Match, Last-Event-ID) is malformed.
	RuleHeader = "request.invalid_header"
	// RulePath: a path segment is not a valid id.
	RulePath = "request.invalid_path"
	// RuleLoading: the read model has not caught up with the views feed yet.
	RuleLoading = "query.loading"
	// RuleMemoryCap: the read model reached its memory cap and stopped following.
	RuleMemoryCap = "query.memory_cap"
	// RuleVersionNotReached: the view did not reach minVersion within the wait.
	RuleVersionNotReached = "query.version_not_reached"
	// RulePredictionUnavailable: prediction is not configured on this server.
	RulePredictionUnavailable = "query.prediction_unavailable"
	// RuleAuditUnavailable: the audit log is not configured on this server.
	RuleAuditUnavailable = "audit.unavailable"
	// RuleAuditLoading: the audit index has not caught up with the events feed yet.
	RuleAuditLoading = "audit.loading"
	// RuleTooManySubscribers: the live stream has its maximum of subscribers.
	RuleTooManySubscribers = "live.too_many_subscribers"
)

// Problem is an RFC 9457 problem details document, the body of every error
// response, in the command API's shape. Version and MinVersion are set by a
// read-your-writes wait that ran out of time.
type Problem struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail,omitempty"`
	Instance   string       `json:"instance,omitempty"`
	Rule       string       `json:"rule,omitempty"`
	RequestID  string       `json:"requestId,omitempty"`
	Errors     []FieldError `json:"errors,omitempty"`
	Version    *int64       `json:"version,omitempty"`
	MinVersion *int64       `json:"minVersion,omitempty"`
}

// FieldError is one problem with the request: the parameter or header at
// fault, the rule id and a human-readable message.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// problemKind is one row of the error-to-HTTP table.
type problemKind struct {
	status int
	slug   string
	title  string
}

// The problem types; the command API's where the meaning is the same.
var (
	kindInvalid        = problemKind{http.StatusBadRequest, "invalid-request", "The request is invalid"}
	kindNotFound       = problemKind{http.StatusNotFound, "not-found", "Not found"}
	kindNoMethod       = problemKind{http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"}
	kindURITooLong     = problemKind{http.StatusRequestURITooLong, "uri-too-long", "The request URI is too long"}
	kindInternal       = problemKind{http.StatusInternalServerError, "internal", "Internal error"}
	kindNotImplemented = problemKind{http.StatusNotImplemented, "not-implemented", "Not available on this server"}
	kindUnavailable    = problemKind{http.StatusServiceUnavailable, "unavailable", "The store is unavailable"}
	kindNotReady       = problemKind{http.StatusServiceUnavailable, "not-ready", "The read model is not ready"}
	kindNotReached     = problemKind{http.StatusServiceUnavailable, "version-not-reached", "The view has not reached the requested version"}
	kindBusy           = problemKind{http.StatusServiceUnavailable, "busy", "Too many subscribers"}
)

func (k problemKind) typeURI() string { return "urn:orderctx:problem:" + k.slug }

// queryError is a refusal decided by this API: a bad request, a read model
// that cannot answer, a wait that ran out. Everything else that reaches the
// error handler is classified by its domain error code.
type queryError struct {
	kind       problemKind
	detail     string
	errs       []FieldError
	version    *int64
	minVersion *int64
}

func (e *queryError) Error() string {
	msgs := make([]string, 0, len(e.errs))
	for _, fe := range e.errs {
		msgs = append(msgs, fe.Field+": "+fe.Message)
	}
	return fmt.Sprintf("%d %s %s", e.kind.status, e.detail, strings.Join(msgs, "; "))
}

// refuse returns a queryError with one rule, and the field when one is at fault.
func refuse(kind problemKind, rule, field, format string, args ...any) *queryError {
	msg := fmt.Sprintf(format, args...)
	detail := msg
	if field != "" {
		detail = field + ": " + msg
	}
	return &queryError{kind: kind, detail: detail, errs: []FieldError{{Field: field, Rule: rule, Message: msg}}}
}

// orderNotFound is the 404 of an order this instance does not hold.
func orderNotFound(id string) error {
	return refuse(kindNotFound, order.RuleNotFound, "", "order %s does not exist", id)
}

// classify maps an error to its problem kind: the single place that decides
// which HTTP status a failure gets (see the table in docs/query-api.md).
func classify(err error) problemKind {
	var qe *queryError
	if errors.As(err, &qe) {
		return qe.kind
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return kindNotFound
		case http.StatusMethodNotAllowed:
			return kindNoMethod
		}
		if he.Code >= 400 && he.Code < 500 {
			return problemKind{he.Code, "http-" + strconv.Itoa(he.Code), http.StatusText(he.Code)}
		}
		return kindInternal
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return kindUnavailable
	}
	switch es.ErrorCode(err) {
	case es.NotFound:
		return kindNotFound
	case es.Unavailable:
		return kindUnavailable
	}
	return kindInternal
}

// problemFor builds the problem document of err. Internal errors get a
// generic detail: their text may reveal implementation and is only logged.
func problemFor(err error, requestID, instance string) Problem {
	kind := classify(err)
	p := Problem{Type: kind.typeURI(), Title: kind.title, Status: kind.status, Instance: instance, RequestID: requestID}
	var qe *queryError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &qe):
		p.Detail, p.Errors, p.Version, p.MinVersion = qe.detail, qe.errs, qe.version, qe.minVersion
	case kind == kindInternal:
		p.Detail = "an internal error occurred; quote the request id when reporting it"
	case kind == kindUnavailable:
		p.Detail = "the event store cannot be reached now; retry after the indicated delay"
		p.Rule = es.RuleStoreUnavailable
	case errors.As(err, &he):
		p.Detail = strings.ToLower(http.StatusText(he.Code))
		if m, ok := he.Message.(string); ok && m != "" {
			p.Detail = strings.ToLower(m)
		}
	default:
		for _, e := range es.AllErrors(err) {
			p.Errors = append(p.Errors, FieldError{Field: e.Field, Rule: e.Rule, Message: e.Message})
		}
		if len(p.Errors) > 0 {
			p.Detail = p.Errors[0].Message
		}
	}
	if p.Rule == "" && len(p.Errors) > 0 {
		p.Rule = p.Errors[0].Rule
	}
	return p
}

// writeProblem sends a problem with the headers its status calls for.
func (a *API) writeProblem(c echo.Context, p Problem) error {
	h := c.Response().Header()
	if p.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", strconv.Itoa(int(max(1, a.opts.RetryAfter.Round(time.Second).Seconds()))))
	}
	h.Del("ETag")
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, ProblemContentType)
	c.Response().WriteHeader(p.Status)
	return encodeJSON(c.Response(), p)
}

// handleError is echo's HTTPErrorHandler: every error a handler or echo
// itself returns becomes a problem here; 5xx are logged with their cause.
func (a *API) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	info := infoOf(c)
	p := problemFor(err, info.requestID, c.Request().URL.Path)
	if p.Status >= 500 {
		info.err = err
	}
	info.rule = p.Rule
	if we := a.writeProblem(c, p); we != nil {
		a.log.Debug("write problem", "requestId", info.requestID, "err", we)
	}
}
