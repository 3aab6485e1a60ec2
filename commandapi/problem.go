package commandapi

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

// Problem is an RFC 9457 problem details document, the body of every error
// response, in the shape both APIs share.
type Problem = httpapi.Problem

// FieldError is one problem with the request: the JSON path of the field at
// fault (empty when the rule concerns the order as a whole), the rule id and
// a human-readable message.
type FieldError = httpapi.FieldError

// maxProblemErrors bounds the errors listed in one problem, so a 64 KiB body
// of unknown fields cannot produce a response many times its size.
const maxProblemErrors = 50

// Rule ids of the HTTP layer, for problems the domain never sees: the request
// could not be read as a command at all.
const (
	// RuleMalformedJSON: the body is not a single well-formed UTF-8 JSON value.
	RuleMalformedJSON = "request.malformed_json"
	// RuleEmptyBody: the body is empty where a JSON object is required.
	RuleEmptyBody = "request.empty_body"
	// RuleUnknownField: the body has a member the command does not define.
	RuleUnknownField = "request.unknown_field"
	// RuleDuplicateField: the body has the same member twice in one object.
	RuleDuplicateField = "request.duplicate_field"
	// RuleFieldType: a member has the wrong JSON type (or is not an integer).
	RuleFieldType = "request.field_type"
	// RuleBodyTooLarge: the body exceeds Options.MaxBodyBytes.
	RuleBodyTooLarge = "request.body_too_large"
	// RuleContentType: the body is not application/json in UTF-8.
	RuleContentType = "request.unsupported_media_type"
	// RuleHeader: a header (If-Match, Idempotency-Key) is malformed.
	RuleHeader = "request.invalid_header"
	// RulePath: a path segment is not a valid escaped id.
	RulePath = "request.invalid_path"
	// RuleTooDeep: the body nests objects and arrays more than MaxBodyDepth levels.
	RuleTooDeep = "request.nesting_too_deep"
	// RuleMalformedRequest and the three below are the rules of requests
	// that Go's HTTP server refuses before any handler runs (httpapi).
	RuleMalformedRequest = httpapi.RuleMalformedRequest
	RuleHeadersTooLarge  = httpapi.RuleHeadersTooLarge
	RuleTransferEncoding = httpapi.RuleTransferEncoding
	RuleHTTPVersion      = httpapi.RuleHTTPVersion
)

// Codes of the HTTP layer, for refusals the domain never sees that have a
// status of their own.
const (
	codeNoMethod  es.Code = "http.method_not_allowed"
	codeTooLarge  es.Code = "http.body_too_large"
	codeMediaType es.Code = "http.unsupported_media_type"
)

// kinds is the one table from error code to HTTP status and problem type:
// the status of an error is a lookup of its code, never a matter of where
// the error was raised. Type URIs are URNs: stable identifiers that do not
// pretend to be documentation pages; docs/command-api.md describes each.
var kinds = map[es.Code]httpapi.Kind{
	es.Invalid:       {Status: http.StatusBadRequest, Slug: "invalid-request", Title: "The request is invalid"},
	es.NotFound:      {Status: http.StatusNotFound, Slug: "not-found", Title: "Not found"},
	codeNoMethod:     {Status: http.StatusMethodNotAllowed, Slug: "method-not-allowed", Title: "Method not allowed"},
	es.Conflict:      {Status: http.StatusConflict, Slug: "conflict", Title: "Conflict"},
	es.Precondition:  {Status: http.StatusPreconditionFailed, Slug: "stale-version", Title: "The order has changed"},
	codeTooLarge:     {Status: http.StatusRequestEntityTooLarge, Slug: "body-too-large", Title: "The request body is too large"},
	codeMediaType:    {Status: http.StatusUnsupportedMediaType, Slug: "unsupported-media-type", Title: "Unsupported media type"},
	es.Rejected:      {Status: http.StatusUnprocessableEntity, Slug: "rule-violation", Title: "The command violates a rule of the order"},
	es.CommandReused: {Status: http.StatusUnprocessableEntity, Slug: "idempotency-key-reused", Title: "The idempotency key was used for a different request"},
	es.Internal:      {Status: http.StatusInternalServerError, Slug: "internal", Title: "Internal error"},
	es.Unavailable:   {Status: http.StatusServiceUnavailable, Slug: "unavailable", Title: "The store is unavailable"},
}

// echoCodes are the codes of the errors echo raises itself (no route, no
// method); other 4xx statuses of echo's are passed on as they are.
var echoCodes = map[int]es.Code{
	http.StatusNotFound:              es.NotFound,
	http.StatusMethodNotAllowed:      codeNoMethod,
	http.StatusRequestEntityTooLarge: codeTooLarge,
	http.StatusUnsupportedMediaType:  codeMediaType,
	http.StatusServiceUnavailable:    es.Unavailable,
}

// requestError is a request the HTTP layer refused before it reached the
// store: malformed, too large, of the wrong type, or failing the command's
// stateless validation. Its field errors are listed as they are.
type requestError struct {
	code   es.Code
	detail string
	errs   []*es.Error
}

func (e *requestError) Error() string {
	msgs := make([]string, 0, len(e.errs))
	for _, fe := range e.errs {
		msgs = append(msgs, fe.Error())
	}
	return fmt.Sprintf("%s %s: %s", e.code, e.detail, strings.Join(msgs, "; "))
}

// invalid wraps the errors of a command's validation (and of the HTTP
// decoding) as one problem listing every field at fault.
func invalid(err error) error {
	return &requestError{code: es.Invalid, detail: "the request has invalid fields", errs: es.AllErrors(err)}
}

// requestProblem returns a requestError with one error of the given rule.
func requestProblem(code es.Code, rule, field, format string, args ...any) *requestError {
	return &requestError{code: code, detail: fmt.Sprintf(format, args...), errs: []*es.Error{es.FieldErrorf(code, rule, field, format, args...)}}
}

// codeOf reduces an error to its code: the request's own for a requestError,
// echo's status translated for echo's errors ("" for a 4xx echo names
// itself), Unavailable for a request that ran out of time, and the domain
// code of anything else.
func codeOf(err error) es.Code {
	var re *requestError
	if errors.As(err, &re) {
		return re.code
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if code, ok := echoCodes[he.Code]; ok {
			return code
		}
		if he.Code >= 400 && he.Code < 500 {
			return ""
		}
		return es.Internal
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return es.Unavailable
	}
	return es.ErrorCode(err)
}

// classify maps an error to its code and problem kind: the single place that
// decides which HTTP status a failure gets, by looking its code up in kinds.
// See the table in docs/command-api.md.
func classify(err error) (es.Code, httpapi.Kind) {
	code := codeOf(err)
	var he *echo.HTTPError
	if code == "" && errors.As(err, &he) {
		return code, httpapi.StatusKind(he.Code)
	}
	if kind, ok := kinds[code]; ok {
		return code, kind
	}
	return es.Internal, kinds[es.Internal]
}

// problemFor builds the problem document of err. Internal errors get a
// generic detail: their text may reveal implementation and is only logged.
func problemFor(err error, requestID, instance string) Problem {
	code, kind := classify(err)
	p := kind.Problem(requestID, instance)
	var re *requestError
	switch {
	case errors.As(err, &re):
		p.Detail = re.detail
		p.Errors = fieldErrors(re.errs)
	case code == es.Internal:
		p.Detail = httpapi.InternalDetail
	case code == es.Unavailable:
		p.Detail = httpapi.UnavailableDetail
		p.Rule = es.RuleStoreUnavailable
	default:
		var he *echo.HTTPError
		if errors.As(err, &he) {
			p.Detail = httpapi.EchoDetail(he)
			break
		}
		all := es.AllErrors(err)
		p.Errors = fieldErrors(all)
		if len(p.Errors) > 0 {
			p.Detail = p.Errors[0].Message
			if p.Errors[0].Field != "" {
				p.Detail = p.Errors[0].Field + ": " + p.Detail
			}
		}
	}
	if p.Rule == "" && len(p.Errors) > 0 {
		p.Rule = p.Errors[0].Rule
	}
	return p
}

// fieldErrors converts domain errors to FieldErrors with HTTP field names,
// dropping duplicates (one wrong currency is reported once, not per item).
func fieldErrors(errs []*es.Error) []FieldError {
	out := make([]FieldError, 0, len(errs))
	seen := make(map[[2]string]bool, len(errs))
	for _, e := range errs {
		if e.Code == es.Internal {
			continue
		}
		f := httpField(e.Field)
		if seen[[2]string{f, e.Rule}] {
			continue
		}
		seen[[2]string{f, e.Rule}] = true
		if len(out) == maxProblemErrors {
			out = append(out, FieldError{Rule: "request.too_many_errors", Message: "further errors are not listed"})
			break
		}
		out = append(out, FieldError{Field: f, Rule: e.Rule, Message: e.Message})
	}
	return out
}

// httpField translates the JSON path of a domain command into the path of the
// HTTP body. The body carries money as plain integers in the order's currency,
// so "items[0].unitPrice.amount" is "items[0].unitPrice", "amount.amount" is
// "amount", and any ".currency" is the order's currency field.
func httpField(f string) string {
	if base, ok := strings.CutSuffix(f, ".amount"); ok {
		return base
	}
	if strings.HasSuffix(f, ".currency") {
		return "currency"
	}
	return f
}

// writeProblem sends a problem with the headers its status calls for.
func (a *API) writeProblem(c echo.Context, p Problem) error {
	if p.Status == http.StatusUnsupportedMediaType {
		c.Response().Header().Set("Accept-Post", echo.MIMEApplicationJSON)
	}
	return httpapi.WriteProblem(c, p.Status, a.opts.RetryAfter, p)
}

// handleError is echo's HTTPErrorHandler: every error a handler or echo itself
// returns becomes a problem here, and internal ones are logged with detail.
func (a *API) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	info := infoOf(c)
	p := problemFor(err, httpapi.RequestID(c), c.Request().URL.Path)
	if p.Status >= 500 {
		info.internal = err
	} else {
		info.rule = p.Rule
	}
	if we := a.writeProblem(c, p); we != nil {
		a.log.Debug("write problem", "requestId", httpapi.RequestID(c), "err", we)
	}
}

// orderNotFound is the error of a command addressed to an order that has not
// been placed, for handlers that need the order's currency before they can
// build the domain command.
func orderNotFound(orderID string) error {
	return es.Errorf(es.NotFound, order.RuleNotFound, "order %s does not exist", orderID)
}
