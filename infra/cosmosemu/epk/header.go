package epk

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// HeaderName is the request header carrying the partition key value.
const HeaderName = "x-ms-documentdb-partitionkey"

// ParseHeader parses the partition key header into component values ready
// for Compute: string, float64, bool, nil, or Undefined{}.
//
// The header is a JSON array with one element per partition key path, e.g.
// ["a"], [5], [null], [true], ["a",1] for hierarchical keys. {} stands for an
// undefined component (sent by other SDKs; the Go SDK cannot express one).
// [] is returned as an empty, non-nil slice: it addresses the undefined key
// (the Go SDK sends it for NewPartitionKey() in change feed requests), and
// Compute hashes an empty slice exactly like that, as a point key rather than
// a prefix.
//
// Strings are accepted in two escape dialects because the Go SDK quotes them
// with strconv.QuoteToASCII rather than a JSON encoder: besides the JSON
// escapes it emits \a, \v, \xHH (a raw byte, used for invalid UTF-8 and
// control characters) and \UHHHHHHHH (characters outside the BMP), none of
// which a JSON decoder accepts. JSON surrogate pairs are joined; a lone
// surrogate becomes U+FFFD as encoding/json does.
func ParseHeader(h string) ([]any, error) {
	p := headerParser{s: h}
	p.skipSpace()
	if !p.eat('[') {
		return nil, p.fail("partition key must be a JSON array")
	}
	values := []any{}
	p.skipSpace()
	if !p.eat(']') {
		for {
			p.skipSpace()
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			values = append(values, v)
			p.skipSpace()
			if p.eat(',') {
				continue
			}
			if p.eat(']') {
				break
			}
			return nil, p.fail("expected ',' or ']'")
		}
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return nil, p.fail("unexpected data after the array")
	}
	return values, nil
}

// HeaderError describes a malformed partition key header; servers answer it
// with 400 Bad Request.
type HeaderError struct {
	Header string // the header as received
	Offset int    // byte offset of the problem
	Reason string
}

// Error implements error.
func (e *HeaderError) Error() string {
	return fmt.Sprintf("invalid partition key header %q at offset %d: %s", e.Header, e.Offset, e.Reason)
}

type headerParser struct {
	s string
	i int
}

func (p *headerParser) fail(reason string) error {
	return &HeaderError{Header: p.s, Offset: p.i, Reason: reason}
}

func (p *headerParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *headerParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *headerParser) literal(word string) bool {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return true
	}
	return false
}

func (p *headerParser) value() (any, error) {
	if p.i >= len(p.s) {
		return nil, p.fail("missing value")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		return p.str()
	case c == '{':
		p.i++
		p.skipSpace()
		if !p.eat('}') {
			return nil, p.fail("only the empty object {} (undefined) is a valid partition key component")
		}
		return Undefined{}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case p.literal("true"):
		return true, nil
	case p.literal("false"):
		return false, nil
	case p.literal("null"):
		return nil, nil
	}
	return nil, p.fail("partition key components must be strings, numbers, booleans, null or {}")
}

// number scans a JSON number; the grammar is checked here because
// strconv.ParseFloat also accepts forms JSON does not (hex, "Inf", "_").
func (p *headerParser) number() (any, error) {
	start := p.i
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.i < len(p.s) && p.s[p.i] >= '1' && p.s[p.i] <= '9':
		p.digits()
	default:
		return nil, p.fail("invalid number")
	}
	if p.eat('.') {
		if p.digits() == 0 {
			return nil, p.fail("invalid number: digits expected after '.'")
		}
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if p.digits() == 0 {
			return nil, p.fail("invalid number: digits expected in exponent")
		}
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		// Only out-of-range values get here; Cosmos numbers are finite doubles.
		p.i = start
		return nil, p.fail("number out of range")
	}
	return f, nil
}

func (p *headerParser) digits() int {
	n := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

func (p *headerParser) hex(n int) (uint32, bool) {
	if p.i+n > len(p.s) || !isHex(p.s[p.i:p.i+n]) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += n
	return uint32(v), true
}

func (p *headerParser) str() (string, error) {
	p.i++ // opening quote
	var b []byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		p.i++ // backslash
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'a': // Go only
			b = append(b, '\a')
		case 'v': // Go only
			b = append(b, '\v')
		case 'x': // Go only: one raw byte, possibly not valid UTF-8
			v, ok := p.hex(2)
			if !ok {
				return "", p.fail(`invalid \x escape`)
			}
			b = append(b, byte(v))
		case 'U': // Go only: a full code point
			v, ok := p.hex(8)
			if !ok || !utf8.ValidRune(rune(v)) {
				return "", p.fail(`invalid \U escape`)
			}
			b = utf8.AppendRune(b, rune(v))
		case 'u':
			v, ok := p.hex(4)
			if !ok {
				return "", p.fail(`invalid \u escape`)
			}
			r := rune(v)
			if utf16.IsSurrogate(r) {
				r = p.lowSurrogate(r)
			}
			b = utf8.AppendRune(b, r)
		default:
			p.i--
			return "", p.fail("invalid escape character")
		}
	}
	return "", p.fail("unterminated string")
}

// lowSurrogate joins a high surrogate with a following \uDC00-\uDFFF escape;
// anything else leaves the surrogate unpaired, which decodes to U+FFFD.
func (p *headerParser) lowSurrogate(hi rune) rune {
	save := p.i
	if strings.HasPrefix(p.s[p.i:], `\u`) {
		p.i += 2
		if v, ok := p.hex(4); ok {
			if r := utf16.DecodeRune(hi, rune(v)); r != utf8.RuneError {
				return r
			}
		}
	}
	p.i = save
	return utf8.RuneError
}

// ValuesFromDocument extracts the partition key components of a decoded
// document for the container's partition key paths (e.g. "/tenant" or
// "/address/city"), in path order, ready for Compute.
//
// A path that is missing, or that runs through a non-object, yields
// Undefined{}, as Cosmos files such documents under the undefined key.
// Objects and arrays are not valid key values and also yield Undefined{}.
// json.Number and Go numeric types become float64. A path segment may be
// wrapped in double quotes, the quoting Cosmos paths use for property names
// with special characters.
func ValuesFromDocument(doc map[string]any, paths []string) []any {
	out := make([]any, len(paths))
	for i, p := range paths {
		out[i] = lookup(doc, p)
	}
	return out
}

func lookup(doc map[string]any, path string) any {
	segs := SplitPath(path)
	if len(segs) == 0 {
		return Undefined{}
	}
	var cur any = doc
	for _, s := range segs {
		m, ok := cur.(map[string]any)
		if !ok {
			return Undefined{}
		}
		if cur, ok = m[s]; !ok {
			return Undefined{}
		}
	}
	switch v := cur.(type) {
	case nil, bool, string, float64:
		return v
	case Undefined:
		return v
	}
	if f, ok, err := toFloat(cur); ok && err == nil {
		return f
	}
	return Undefined{}
}

// SplitPath splits a partition key path such as "/a/b" or `/"a b"/c` into
// property names, removing surrounding double quotes from a segment.
func SplitPath(path string) []string {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return nil
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
			if u, err := strconv.Unquote(s); err == nil {
				segs[i] = u
			} else {
				segs[i] = s[1 : len(s)-1]
			}
		}
	}
	return segs
}

// ValidateComponents checks that values has at most pathCount components of
// supported types, the check a server applies to a request's partition key
// before hashing it. Fewer components than paths are a prefix, valid only for
// hierarchical (MultiHash) containers, which the caller decides.
func ValidateComponents(values []any, pathCount int) error {
	if len(values) > pathCount {
		return fmt.Errorf("epk: partition key has %d components but the container has %d paths", len(values), pathCount)
	}
	for i, v := range values {
		if _, err := encode(nil, v, stringEndV2); err != nil {
			return fmt.Errorf("epk: component %d: %w", i, err)
		}
	}
	return nil
}
