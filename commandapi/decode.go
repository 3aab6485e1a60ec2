package commandapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// shape describes the JSON a command body may have. Bodies are checked
// against it before they are unmarshalled, so every unknown, duplicated or
// mistyped member is reported with its full path (items[2].quantity), which
// encoding/json's first-error-only messages cannot do.
type shape struct {
	kind     shapeKind
	fields   map[string]*shape // kindObject
	elem     *shape            // kindArray
	nonEmpty bool              // kindString: "" is refused (null still means absent)
}

type shapeKind int

const (
	kindAny shapeKind = iota // anything: used to skip unknown members
	kindString
	kindInteger
	kindObject
	kindArray
)

var (
	stringShape  = &shape{kind: kindString}
	integerShape = &shape{kind: kindInteger}
	anyShape     = &shape{kind: kindAny}
	// idShape is an optional id: absent or null lets the server assign one,
	// but an empty string is refused rather than taken for absent.
	idShape = &shape{kind: kindString, nonEmpty: true}
)

func objectShape(fields map[string]*shape) *shape { return &shape{kind: kindObject, fields: fields} }

func arrayShape(elem *shape) *shape { return &shape{kind: kindArray, elem: elem} }

func (k shapeKind) describe() string {
	switch k {
	case kindString:
		return "a string"
	case kindInteger:
		return "an integer"
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	default:
		return "a value"
	}
}

// decodeBody reads a command body: application/json in UTF-8, at most
// maxBytes, a single JSON object matching s (unknown members are rejected,
// null counts as absent), and unmarshals it into dst. Every failure is a
// requestError (400, 413 or 415) naming the fields at fault.
func decodeBody(c echo.Context, maxBytes int64, s *shape, dst any) error {
	req := c.Request()
	if err := checkContentType(req.Header.Values(echo.HeaderContentType)); err != nil {
		return err
	}
	if req.ContentLength > maxBytes {
		return tooLarge(maxBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(maxBytes)
		}
		return requestProblem(es.Invalid, RuleMalformedJSON, "", "the request body could not be read")
	}
	return decodeJSON(body, s, dst)
}

func tooLarge(maxBytes int64) error {
	return requestProblem(codeTooLarge, RuleBodyTooLarge, "", "the request body must be at most %d bytes", maxBytes)
}

// checkContentType accepts one Content-Type header of application/json or
// any application/*+json type, with no charset or charset=utf-8 (RFC 8259
// JSON is UTF-8). Two headers are refused rather than one of them chosen:
// a proxy in front might have chosen the other.
func checkContentType(values []string) error {
	if len(values) > 1 {
		return requestProblem(es.Invalid, RuleHeader, echo.HeaderContentType, "must be sent once, got %d Content-Type headers", len(values))
	}
	ct := ""
	if len(values) == 1 {
		ct = values[0]
	}
	if ct == "" {
		return requestProblem(codeMediaType, RuleContentType, "", "Content-Type must be application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != echo.MIMEApplicationJSON && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return requestProblem(codeMediaType, RuleContentType, "", "Content-Type must be application/json, got %q", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return requestProblem(codeMediaType, RuleContentType, "", "the body must be UTF-8, got charset %q", cs)
	}
	return nil
}

// MaxBodyDepth bounds how deeply a request body nests objects and arrays
// inside one another, the body itself being level 1. The deepest command
// (an order's items) needs 3 levels; a deeper body is refused with
// RuleTooDeep as soon as the walk opens level MaxBodyDepth+1. Together with
// paths spelled out only for errors, validation costs time and memory in
// proportion to the body's size, never to its depth squared.
const MaxBodyDepth = 32

// maxFieldLength bounds a field path in a problem. Paths are built from the
// client's member names, so without a bound a body of long names could
// produce a problem many times its own size.
const maxFieldLength = 256

// errTooDeep ends a walk that reached more than MaxBodyDepth levels.
var errTooDeep = errors.New("nesting too deep")

// decodeJSON checks body against s and unmarshals it into dst.
func decodeJSON(body []byte, s *shape, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return requestProblem(es.Invalid, RuleEmptyBody, "", "the request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return requestProblem(es.Invalid, RuleMalformedJSON, "", "the request body is not valid UTF-8")
	}
	w := walker{dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	if err := w.value(s); err != nil {
		if errors.Is(err, errTooDeep) {
			return requestProblem(es.Invalid, RuleTooDeep, w.field(), "the request body nests objects and arrays more than %d levels deep", MaxBodyDepth)
		}
		return malformed(err)
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return requestProblem(es.Invalid, RuleMalformedJSON, "", "the request body must hold a single JSON value, found more after offset %d", w.dec.InputOffset())
	}
	if len(w.errs) > 0 {
		return &requestError{code: es.Invalid, detail: "the request body does not match the command", errs: w.errs}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		// The walk accepted the body, so this is a decoder disagreement, not
		// the client's fault alone; still a 400, with the decoder's words.
		return requestProblem(es.Invalid, RuleMalformedJSON, "", "the request body cannot be decoded: %v", err)
	}
	return nil
}

func malformed(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return requestProblem(es.Invalid, RuleMalformedJSON, "", "malformed JSON at offset %d: %v", se.Offset, se)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return requestProblem(es.Invalid, RuleMalformedJSON, "", "malformed JSON: the body ends early")
	default:
		return requestProblem(es.Invalid, RuleMalformedJSON, "", "malformed JSON: %v", err)
	}
}

// walker checks a token stream against a shape, collecting field errors.
// Syntax errors and too deep nesting end the walk; field errors do not, so
// all are reported. The path to the current value is kept as a stack of
// segments and spelled out only for an error, and at most one more error
// than a problem lists is kept: the walk's cost stays linear in the body.
type walker struct {
	dec  *json.Decoder
	path []segment
	errs []*es.Error
}

// segment is one step of a path: a member name, or an index when key is "".
type segment struct {
	key   string
	index int
}

func (w *walker) fail(rule, format string, args ...any) {
	if len(w.errs) > maxProblemErrors {
		return
	}
	w.errs = append(w.errs, es.FieldErrorf(es.Invalid, rule, w.field(), format, args...))
}

// field spells out the current path (items[2].quantity); "(body)" is the
// body itself. A path longer than maxFieldLength keeps its end, which names
// the member at fault.
func (w *walker) field() string {
	if len(w.path) == 0 {
		return "(body)"
	}
	var b strings.Builder
	for i, s := range w.path {
		switch {
		case s.key == "" && s.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case i > 0:
			b.WriteByte('.')
			b.WriteString(s.key)
		default:
			b.WriteString(s.key)
		}
	}
	f := b.String()
	if len(f) > maxFieldLength {
		cut := len(f) - maxFieldLength
		for cut < len(f) && !utf8.RuneStart(f[cut]) {
			cut++
		}
		f = "…" + f[cut:]
	}
	return f
}

// open checks that an object or array at the current path, which is inside
// len(w.path) others, stays within MaxBodyDepth levels.
func (w *walker) open() error {
	if len(w.path) >= MaxBodyDepth {
		return errTooDeep
	}
	return nil
}

func (w *walker) enter(s segment) { w.path = append(w.path, s) }

func (w *walker) leave() { w.path = w.path[:len(w.path)-1] }

func (w *walker) value(s *shape) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if err := w.open(); err != nil {
			return err
		}
		switch t {
		case '{':
			if s.kind != kindObject && s.kind != kindAny {
				w.fail(RuleFieldType, "must be %s", s.kind.describe())
				s = anyShape
			}
			return w.object(s)
		case '[':
			if s.kind != kindArray && s.kind != kindAny {
				w.fail(RuleFieldType, "must be %s", s.kind.describe())
				s = anyShape
			}
			return w.array(s)
		}
		return fmt.Errorf("unexpected %v", t)
	case nil:
		// null is the absence of a value; the command's validation decides
		// whether the field was required.
		if len(w.path) == 0 {
			w.fail(RuleFieldType, "must be a JSON object")
		}
	case string:
		w.checkString(s, t)
	case json.Number:
		w.checkNumber(s, t)
	case bool:
		if s.kind != kindAny {
			w.fail(RuleFieldType, "must be %s", s.kind.describe())
		}
	}
	return nil
}

func (w *walker) checkString(s *shape, v string) {
	switch {
	case s.kind != kindString && s.kind != kindAny:
		w.fail(RuleFieldType, "must be %s", s.kind.describe())
	case s.nonEmpty && v == "":
		w.fail(order.RuleFormat, "must not be empty: leave the member out, or send null, to have it assigned")
	}
}

func (w *walker) checkNumber(s *shape, n json.Number) {
	switch s.kind {
	case kindAny:
	case kindInteger:
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			w.fail(RuleFieldType, "must be an integer between %d and %d", int64(math.MinInt64), int64(math.MaxInt64))
		}
	default:
		w.fail(RuleFieldType, "must be %s", s.kind.describe())
	}
}

func (w *walker) array(s *shape) error {
	elem := s.elem
	if elem == nil {
		elem = anyShape
	}
	for i := 0; w.dec.More(); i++ {
		w.enter(segment{index: i})
		if err := w.value(elem); err != nil {
			return err
		}
		w.leave()
	}
	_, err := w.dec.Token()
	return err
}

func (w *walker) object(s *shape) error {
	// seen counts the names of this object; a repeated name is reported once,
	// however often it repeats.
	seen := make(map[string]int)
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		w.enter(segment{key: key, index: -1})
		if seen[key]++; seen[key] == 2 {
			w.fail(RuleDuplicateField, "appears more than once")
		}
		fs := anyShape
		if s.kind == kindObject {
			var ok bool
			if fs, ok = s.fields[key]; !ok {
				w.fail(RuleUnknownField, "is not a field of this command")
				fs = anyShape
			}
		}
		if err := w.value(fs); err != nil {
			return err
		}
		w.leave()
	}
	_, err := w.dec.Token()
	return err
}

// Shapes shared by several commands.
var (
	addressShape = objectShape(map[string]*shape{
		"street": stringShape, "city": stringShape, "postalCode": stringShape, "country": stringShape,
	})
	itemShape = objectShape(map[string]*shape{
		"productId": stringShape, "name": stringShape, "quantity": integerShape, "unitPrice": integerShape, "discount": integerShape,
	})
)

// itemBody is an item in a request body: money as integer minor units in the
// order's currency. Pointers tell a missing number from zero.
type itemBody struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  *int64 `json:"quantity"`
	UnitPrice *int64 `json:"unitPrice"`
	Discount  *int64 `json:"discount,omitempty"`
}

// input converts the item to the domain's input in currency. A missing
// number is given a valid stand-in, so the domain's validation does not
// report it a second time under another rule; missing reports it, and keeps
// the command from running.
func (it itemBody) input(currency string) order.ItemInput {
	in := order.ItemInput{ProductID: it.ProductID, Name: it.Name, Quantity: 1, UnitPrice: order.Money{Currency: currency}}
	if it.Quantity != nil {
		in.Quantity = clampQuantity(*it.Quantity)
	}
	if it.UnitPrice != nil {
		in.UnitPrice.Amount = *it.UnitPrice
	}
	if it.Discount != nil {
		in.Discount = &order.Money{Amount: *it.Discount, Currency: currency}
	}
	return in
}

// missing reports the required numbers the item lacks, as fields under prefix.
func (it itemBody) missing(prefix string) []error {
	var errs []error
	if it.Quantity == nil {
		errs = append(errs, required(prefix+"quantity"))
	}
	if it.UnitPrice == nil {
		errs = append(errs, required(prefix+"unitPrice"))
	}
	return errs
}

// clampQuantity maps an int64 quantity into int without wrapping, so that a
// huge quantity stays out of range on any platform.
func clampQuantity(q int64) int {
	switch {
	case q > order.MaxQuantity:
		return order.MaxQuantity + 1
	case q < 0:
		return -1
	default:
		return int(q)
	}
}

func required(field string) error {
	return es.FieldErrorf(es.Invalid, order.RuleRequired, field, "is required")
}

// validationCurrency stands in for the order's currency while a command is
// validated before the order is loaded. XXX is ISO 4217's "no currency" code:
// well formed, so only the client's own values can fail validation.
const validationCurrency = "XXX"
