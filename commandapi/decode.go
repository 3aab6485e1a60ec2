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
	kind   shapeKind
	fields map[string]*shape // kindObject
	elem   *shape            // kindArray
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
	if err := checkContentType(req.Header.Get(echo.HeaderContentType)); err != nil {
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
		return requestProblem(kindInvalid, RuleMalformedJSON, "", "the request body could not be read")
	}
	return decodeJSON(body, s, dst)
}

func tooLarge(maxBytes int64) error {
	return requestProblem(kindTooLarge, RuleBodyTooLarge, "", "the request body must be at most %d bytes", maxBytes)
}

// checkContentType accepts application/json and any application/*+json type,
// with no charset or charset=utf-8 (RFC 8259 JSON is UTF-8).
func checkContentType(ct string) error {
	if ct == "" {
		return requestProblem(kindMediaType, RuleContentType, "", "Content-Type must be application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != echo.MIMEApplicationJSON && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return requestProblem(kindMediaType, RuleContentType, "", "Content-Type must be application/json, got %q", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return requestProblem(kindMediaType, RuleContentType, "", "the body must be UTF-8, got charset %q", cs)
	}
	return nil
}

// decodeJSON checks body against s and unmarshals it into dst.
func decodeJSON(body []byte, s *shape, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return requestProblem(kindInvalid, RuleEmptyBody, "", "the request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return requestProblem(kindInvalid, RuleMalformedJSON, "", "the request body is not valid UTF-8")
	}
	w := walker{dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	if err := w.value(s, ""); err != nil {
		return malformed(err)
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return requestProblem(kindInvalid, RuleMalformedJSON, "", "the request body must hold a single JSON value, found more after offset %d", w.dec.InputOffset())
	}
	if len(w.errs) > 0 {
		return &requestError{kind: kindInvalid, detail: "the request body does not match the command", errs: w.errs}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		// The walk accepted the body, so this is a decoder disagreement, not
		// the client's fault alone; still a 400, with the decoder's words.
		return requestProblem(kindInvalid, RuleMalformedJSON, "", "the request body cannot be decoded: %v", err)
	}
	return nil
}

func malformed(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return requestProblem(kindInvalid, RuleMalformedJSON, "", "malformed JSON at offset %d: %v", se.Offset, se)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return requestProblem(kindInvalid, RuleMalformedJSON, "", "malformed JSON: the body ends early")
	default:
		return requestProblem(kindInvalid, RuleMalformedJSON, "", "malformed JSON: %v", err)
	}
}

// walker checks a token stream against a shape, collecting field errors.
// Syntax errors end the walk; field errors do not, so all are reported.
type walker struct {
	dec  *json.Decoder
	errs []*es.Error
}

func (w *walker) fail(rule, field, format string, args ...any) {
	w.errs = append(w.errs, es.FieldErrorf(es.Invalid, rule, field, format, args...))
}

func (w *walker) value(s *shape, path string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	field := path
	if field == "" {
		field = "(body)"
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			if s.kind != kindObject && s.kind != kindAny {
				w.fail(RuleFieldType, field, "must be %s", s.kind.describe())
				s = anyShape
			}
			return w.object(s, path)
		case '[':
			if s.kind != kindArray && s.kind != kindAny {
				w.fail(RuleFieldType, field, "must be %s", s.kind.describe())
				s = anyShape
			}
			elem := s.elem
			if elem == nil {
				elem = anyShape
			}
			for i := 0; w.dec.More(); i++ {
				if err := w.value(elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err := w.dec.Token()
			return err
		}
		return fmt.Errorf("unexpected %v", t)
	case nil:
		// null is the absence of a value; the command's validation decides
		// whether the field was required.
		if path == "" {
			w.fail(RuleFieldType, field, "must be a JSON object")
		}
		return nil
	case string:
		if s.kind != kindString && s.kind != kindAny {
			w.fail(RuleFieldType, field, "must be %s", s.kind.describe())
		}
	case json.Number:
		switch s.kind {
		case kindAny:
		case kindInteger:
			if _, err := strconv.ParseInt(string(t), 10, 64); err != nil {
				w.fail(RuleFieldType, field, "must be an integer between %d and %d", int64(math.MinInt64), int64(math.MaxInt64))
			}
		default:
			w.fail(RuleFieldType, field, "must be %s", s.kind.describe())
		}
	case bool:
		if s.kind != kindAny {
			w.fail(RuleFieldType, field, "must be %s", s.kind.describe())
		}
	}
	return nil
}

func (w *walker) object(s *shape, path string) error {
	seen := make(map[string]bool)
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		child := key
		if path != "" {
			child = path + "." + key
		}
		if seen[key] {
			w.fail(RuleDuplicateField, child, "appears more than once")
		}
		seen[key] = true
		fs := anyShape
		if s.kind == kindObject {
			var ok bool
			if fs, ok = s.fields[key]; !ok {
				w.fail(RuleUnknownField, child, "is not a field of this command")
				fs = anyShape
			}
		}
		if err := w.value(fs, child); err != nil {
			return err
		}
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

// input converts the item to the domain's input in currency, and reports
// missing numbers as required fields under prefix. A missing number is given
// a valid stand-in, so the domain's validation does not report it a second
// time under another rule; the missing error keeps the command from running.
func (it itemBody) input(prefix, currency string) (order.ItemInput, []error) {
	var missing []error
	in := order.ItemInput{ProductID: it.ProductID, Name: it.Name, Quantity: 1, UnitPrice: order.Money{Currency: currency}}
	if it.Quantity == nil {
		missing = append(missing, required(prefix+"quantity"))
	} else {
		in.Quantity = clampQuantity(*it.Quantity)
	}
	if it.UnitPrice == nil {
		missing = append(missing, required(prefix+"unitPrice"))
	} else {
		in.UnitPrice.Amount = *it.UnitPrice
	}
	if it.Discount != nil {
		in.Discount = &order.Money{Amount: *it.Discount, Currency: currency}
	}
	return in, missing
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
