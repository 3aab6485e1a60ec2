package queryapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/infra/httpapi"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = httpapi.ProblemContentType

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
// response, in the command API's shape (httpapi.Problem). Version and
// MinVersion are set by a read-your-writes wait that ran out of time.
type Problem struct {
	httpapi.Problem
	Version    *int64 `json:"version,omitempty"`
	MinVersion *int64 `json:"minVersion,omitempty"`
}

// FieldError is one problem with the request: the parameter or header at
// fault, the rule id and a human-readable message.
type FieldError = httpapi.FieldError

// The problem types; the command API's where the meaning is the same.
var (
	kindInvalid        = httpapi.Kind{Status: http.StatusBadRequest, Slug: "invalid-request", Title: "The request is invalid"}
	kindNotFound       = httpapi.Kind{Status: http.StatusNotFound, Slug: "not-found", Title: "Not found"}
	kindNoMethod       = httpapi.Kind{Status: http.StatusMethodNotAllowed, Slug: "method-not-allowed", Title: "Method not allowed"}
	kindURITooLong     = httpapi.Kind{Status: http.StatusRequestURITooLong, Slug: "uri-too-long", Title: "The request URI is too long"}
	kindInternal       = httpapi.Kind{Status: http.StatusInternalServerError, Slug: "internal", Title: "Internal error"}
	kindNotImplemented = httpapi.Kind{Status: http.StatusNotImplemented, Slug: "not-implemented", Title: "Not available on this server"}
	kindUnavailable    = httpapi.Kind{Status: http.StatusServiceUnavailable, Slug: "unavailable", Title: "The store is unavailable"}
	kindNotReady       = httpapi.Kind{Status: http.StatusServiceUnavailable, Slug: "not-ready", Title: "The read model is not ready"}
	kindNotReached     = httpapi.Kind{Status: http.StatusServiceUnavailable, Slug: "version-not-reached", Title: "The view has not reached the requested version"}
	kindBusy           = httpapi.Kind{Status: http.StatusServiceUnavailable, Slug: "busy", Title: "Too many subscribers"}
)

// queryError is a refusal decided by this API: a bad request, a read model
// that cannot answer, a wait that ran out. Everything else that reaches the
// error handler is classified by its domain error code.
type queryError struct {
	kind       httpapi.Kind
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
	return fmt.Sprintf("%d %s %s", e.kind.Status, e.detail, strings.Join(msgs, "; "))
}

// refuse returns a queryError with one rule, and the field when one is at fault.
func refuse(kind httpapi.Kind, rule, field, format string, args ...any) *queryError {
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
func classify(err error) httpapi.Kind {
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
			return httpapi.StatusKind(he.Code)
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
	p := Problem{Problem: kind.Problem(requestID, instance)}
	var qe *queryError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &qe):
		p.Detail, p.Errors, p.Version, p.MinVersion = qe.detail, qe.errs, qe.version, qe.minVersion
	case kind == kindInternal:
		p.Detail = httpapi.InternalDetail
	case kind == kindUnavailable:
		p.Detail = httpapi.UnavailableDetail
		p.Rule = es.RuleStoreUnavailable
	case errors.As(err, &he):
		p.Detail = httpapi.EchoDetail(he)
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

// writeProblem sends a problem with the headers its status calls for; an
// ETag a handler set before it failed does not describe the problem.
func (a *API) writeProblem(c echo.Context, p Problem) error {
	c.Response().Header().Del("ETag")
	return httpapi.WriteProblem(c, p.Status, a.opts.RetryAfter, p)
}

// handleError is echo's HTTPErrorHandler: every error a handler or echo
// itself returns becomes a problem here; 5xx are logged with their cause.
func (a *API) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	info := infoOf(c)
	p := problemFor(err, httpapi.RequestID(c), c.Request().URL.Path)
	if p.Status >= 500 {
		info.err = err
	}
	info.rule = p.Rule
	if we := a.writeProblem(c, p); we != nil {
		a.log.Debug("write problem", "requestId", httpapi.RequestID(c), "err", we)
	}
}
