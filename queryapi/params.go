package queryapi

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

// params reads and validates a request's query string. Every problem is
// collected, so a client learns about all of them at once; each names the
// parameter at fault.
type params struct {
	values url.Values
	errs   []FieldError
}

// noValues stands for an empty query string; it is only read, never written.
var noValues = url.Values{}

// readParams parses the query string, refusing parameters the endpoint
// does not define and parameters given twice.
func readParams(c echo.Context, allowed ...string) *params {
	p := &params{values: noValues}
	if c.Request().URL.RawQuery == "" {
		return p
	}
	values, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		p.values = url.Values{}
		p.fail("", RuleInvalidParameter, "the query string is not validly escaped")
		return p
	}
	p.values = values
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch {
		case !slices.Contains(allowed, name):
			p.fail(name, RuleUnknownParameter, "is not a parameter of this endpoint (allowed: %s)", strings.Join(allowed, ", "))
		case len(values[name]) > 1:
			p.fail(name, RuleDuplicateParameter, "is given %d times", len(values[name]))
		}
	}
	return p
}

func (p *params) fail(field, rule, format string, args ...any) {
	p.errs = append(p.errs, FieldError{Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// err returns the collected problems as one 400, or nil.
func (p *params) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &queryError{kind: kindInvalid, detail: "the request has invalid parameters", errs: p.errs}
}

// has reports whether a parameter is present (even empty).
func (p *params) has(name string) bool {
	_, ok := p.values[name]
	return ok
}

func (p *params) get(name string) string { return p.values.Get(name) }

// int reads an integer parameter within [lo, hi]; absent yields def.
func (p *params) int(name string, lo, hi, def int64) int64 {
	if !p.has(name) {
		return def
	}
	n, err := strconv.ParseInt(p.get(name), 10, 64)
	if err != nil || n < lo || n > hi {
		p.fail(name, RuleInvalidParameter, "must be an integer from %d to %d", lo, hi)
		return def
	}
	return n
}

// duration reads a duration ("1.5s", "500ms") within [0, hi]; absent yields def.
func (p *params) duration(name string, hi, def time.Duration) time.Duration {
	if !p.has(name) {
		return def
	}
	d, err := time.ParseDuration(p.get(name))
	if err != nil || d < 0 || d > hi {
		p.fail(name, RuleInvalidParameter, "must be a duration such as 500ms or 2s, from 0 to %v", hi)
		return def
	}
	return d
}

// bool reads true or false; absent is false.
func (p *params) bool(name string) bool {
	if !p.has(name) {
		return false
	}
	b, err := strconv.ParseBool(p.get(name))
	if err != nil {
		p.fail(name, RuleInvalidParameter, "must be true or false")
	}
	return b
}

// time reads an RFC 3339 time; absent is the zero time.
func (p *params) time(name string) time.Time {
	if !p.has(name) {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, p.get(name))
	if err != nil {
		p.fail(name, RuleInvalidParameter, "must be an RFC 3339 time such as 2026-01-31T12:00:00Z")
	}
	return t
}

// oneOf reads a parameter that takes one of a few values; absent yields def.
func (p *params) oneOf(name, def string, allowed ...string) string {
	if !p.has(name) {
		return def
	}
	v := p.get(name)
	if !slices.Contains(allowed, v) {
		p.fail(name, RuleInvalidParameter, "must be one of %s", strings.Join(allowed, ", "))
		return def
	}
	return v
}

// id reads an id parameter with the domain's id rules; absent is "".
func (p *params) id(name string) string {
	if !p.has(name) {
		return ""
	}
	v := p.get(name)
	if msg := checkID(v); msg != "" {
		p.fail(name, RuleInvalidParameter, "%s", msg)
		return ""
	}
	return v
}

// checkID applies the domain's rules for ids (order.MaxIDLength, a URL- and
// Cosmos-DB-safe ASCII set) and says what is wrong, or "".
func checkID(v string) string {
	switch {
	case v == "":
		return "must not be empty"
	case len(v) > order.MaxIDLength:
		return "must be at most " + strconv.Itoa(order.MaxIDLength) + " characters"
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return "may contain only letters, digits and - _ . :"
		}
	}
	return ""
}

// orderIDParam returns the {id} path segment, checked as an order id. echo
// hands out escaped values when the request's escaping differs from the
// default one (URL.RawPath is set), and unescaped ones otherwise.
func orderIDParam(c echo.Context) (string, error) {
	id := c.Param("id")
	if c.Request().URL.RawPath != "" {
		var err error
		if id, err = url.PathUnescape(id); err != nil {
			return "", refuse(kindInvalid, RulePath, "orderId", "is not a validly escaped path segment")
		}
	}
	if msg := checkID(id); msg != "" {
		return "", refuse(kindInvalid, RulePath, "orderId", "%s", msg)
	}
	return id, nil
}
