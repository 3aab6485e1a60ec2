// Package jsonscan walks the top-level members of a JSON object without
// decoding it. The read models receive every stored document through the
// change feed and need only a handful of its members; walking the raw bytes
// once, instead of decoding into maps, keeps a cold start of 100,000
// documents well inside its budget and leaves the document's own bytes (and
// member order) untouched for serving.
package jsonscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ErrSyntax is wrapped by every error about malformed input.
var ErrSyntax = errors.New("malformed JSON")

func syntaxError(at int, what string) error {
	return fmt.Errorf("%w at byte %d: %s", ErrSyntax, at, what)
}

// Members calls fn with the key (as written, without quotes and still
// escaped) and the raw value of every member of the JSON object doc, in
// order. It stops at the first error fn returns. Values are checked only for
// structure (balanced brackets, terminated strings), not decoded.
func Members(doc []byte, fn func(key, value []byte) error) error {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return syntaxError(i, "not an object")
	}
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		return rest(doc, i+1)
	}
	for {
		if i >= len(doc) || doc[i] != '"' {
			return syntaxError(i, "expected a member name")
		}
		end, err := skipString(doc, i)
		if err != nil {
			return err
		}
		key := doc[i+1 : end-1]
		i = skipSpace(doc, end)
		if i >= len(doc) || doc[i] != ':' {
			return syntaxError(i, "expected ':'")
		}
		i = skipSpace(doc, i+1)
		vend, err := skipValue(doc, i)
		if err != nil {
			return err
		}
		if err := fn(key, doc[i:vend]); err != nil {
			return err
		}
		i = skipSpace(doc, vend)
		if i >= len(doc) {
			return syntaxError(i, "unterminated object")
		}
		switch doc[i] {
		case ',':
			i = skipSpace(doc, i+1)
		case '}':
			return rest(doc, i+1)
		default:
			return syntaxError(i, "expected ',' or '}'")
		}
	}
}

// rest accepts only whitespace after the object.
func rest(doc []byte, i int) error {
	if i = skipSpace(doc, i); i != len(doc) {
		return syntaxError(i, "data after the object")
	}
	return nil
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at doc[i] == '"'.
func skipString(doc []byte, i int) (int, error) {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, syntaxError(i, "unterminated string")
}

// skipValue returns the index after the value that starts at doc[i].
func skipValue(doc []byte, i int) (int, error) {
	if i >= len(doc) {
		return 0, syntaxError(i, "expected a value")
	}
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		return skipNested(doc, i)
	}
	j := i
	for j < len(doc) && !isDelimiter(doc[j]) {
		j++
	}
	if j == i {
		return 0, syntaxError(i, "expected a value")
	}
	return j, nil
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '{', '[', '"':
		return true
	}
	return false
}

// skipNested skips an object or array, counting brackets outside strings.
func skipNested(doc []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(doc); j++ {
		switch doc[j] {
		case '"':
			end, err := skipString(doc, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, syntaxError(i, "unterminated object or array")
}

// String decodes a raw JSON string value. Strings without escapes, the
// common case, are copied without going through encoding/json.
func String(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", fmt.Errorf("%w: not a string", ErrSyntax)
	}
	inner := raw[1 : len(raw)-1]
	plain := utf8.Valid(inner)
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return s, nil
}

// Int decodes a raw JSON number that must be an integer within int64.
func Int(raw []byte) (int64, error) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not an integer", ErrSyntax, raw)
	}
	return n, nil
}

// IsNull reports whether a raw value is the literal null.
func IsNull(raw []byte) bool { return string(raw) == "null" }
