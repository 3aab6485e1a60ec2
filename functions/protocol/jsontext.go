package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON helpers below are linear scans that never recurse, so hostile
// input (30,000 '[' in a row) costs one pass and no stack.

// errTooDeep is returned by the scans when nesting exceeds the limit.
var errTooDeep = errors.New("too deep")

// stringState follows a scan in and out of JSON strings.
type stringState struct{ in, esc bool }

// consume reports whether c is part of a string (its closing quote
// included), updating the state.
func (s *stringState) consume(c byte) bool {
	if !s.in {
		return false
	}
	switch {
	case s.esc:
		s.esc = false
	case c == '\\':
		s.esc = true
	case c == '"':
		s.in = false
	}
	return true
}

// splitArray returns the elements of the JSON array in arr as subslices of
// it, refusing nesting deeper than maxDepth (the array itself is level 1)
// and more than maxElems elements as soon as it sees them. It checks the
// array's structure; the caller still runs json.Valid for the rest.
func splitArray(arr []byte, maxDepth, maxElems int) ([]json.RawMessage, error) {
	var elems []json.RawMessage
	var str stringState
	depth, start := 0, -1
	end := func(i int) error {
		if start < 0 {
			return errors.New("empty array element")
		}
		if len(elems) == maxElems {
			return errTooMany
		}
		elems = append(elems, trimSpace(arr[start:i]))
		start = -1
		return nil
	}
	for i, c := range arr {
		if str.consume(c) {
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			str.in = true
		case '[', '{':
			if depth++; depth > maxDepth {
				return nil, errTooDeep
			}
			if depth == 1 {
				continue
			}
		case ']', '}':
			if depth--; depth == 0 {
				if start >= 0 || len(elems) > 0 {
					if err := end(i); err != nil {
						return nil, err
					}
				}
				return elems, nil
			}
			continue
		case ',':
			if depth == 1 {
				if err := end(i); err != nil {
					return nil, err
				}
				continue
			}
		}
		if depth == 0 {
			return nil, fmt.Errorf("not an array")
		}
		if start < 0 && (depth == 1 || (depth == 2 && (c == '[' || c == '{'))) {
			start = i
		}
	}
	return nil, errors.New("unterminated array")
}

var errTooMany = errors.New("too many elements")

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// plain marks the bytes a JSON string holds as they are: not a quote,
// backslash or control character, and ASCII (so no UTF-8 check is due).
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unquote decodes the JSON string literal that b holds entirely (surrounding
// whitespace allowed), as encoding/json would: invalid UTF-8 and lone
// surrogates become U+FFFD. A literal without escapes comes back as a
// subslice of b.
func unquote(b []byte) ([]byte, error) {
	b = trimSpace(b)
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, errors.New("not a JSON string")
	}
	s := b[1 : len(b)-1]
	var out []byte
	for i := 0; i < len(s); {
		j, high := i, byte(0)
		for j < len(s) && (plain[s[j]] || s[j] >= utf8.RuneSelf) {
			high |= s[j]
			j++
		}
		ascii := high < utf8.RuneSelf
		if i == 0 && j == len(s) && (ascii || utf8.Valid(s)) {
			return s, nil
		}
		if out == nil {
			out = make([]byte, 0, len(s))
		}
		if ascii {
			out = append(out, s[i:j]...)
		} else {
			out = appendUTF8(out, s[i:j])
		}
		if i = j; i == len(s) {
			break
		}
		if s[i] != '\\' {
			return nil, errors.New("not a single JSON string")
		}
		if i+1 == len(s) {
			return nil, errors.New("unfinished escape")
		}
		if r := simpleEscapes[s[i+1]]; r != 0 {
			out = append(out, r)
			i += 2
			continue
		}
		n, err := appendEscape(&out, s[i:])
		if err != nil {
			return nil, err
		}
		i += n
	}
	if out == nil {
		return s[:0], nil
	}
	return out, nil
}

// appendUTF8 appends run, replacing invalid UTF-8 with U+FFFD.
func appendUTF8(out, run []byte) []byte {
	if utf8.Valid(run) {
		return append(out, run...)
	}
	for len(run) > 0 {
		r, n := utf8.DecodeRune(run)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, r)
		} else {
			out = append(out, run[:n]...)
		}
		run = run[n:]
	}
	return out
}

// simpleEscapes maps the character after a backslash to what it stands for.
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// appendEscape decodes the escape at the start of s (s[0] is '\\') onto
// *out and returns its length.
func appendEscape(out *[]byte, s []byte) (int, error) {
	if r := simpleEscapes[s[1]]; r != 0 {
		*out = append(*out, r)
		return 2, nil
	}
	if s[1] != 'u' {
		return 0, fmt.Errorf("invalid escape \\%c", s[1])
	}
	r, ok := hex4(s[2:])
	if !ok {
		return 0, errors.New("invalid \\u escape")
	}
	n := 6
	if utf16.IsSurrogate(r) {
		r2, ok2 := rune(-1), false
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			r2, ok2 = hex4(s[8:])
		}
		if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
			r, n = dec, 12
		} else {
			r = utf8.RuneError
		}
	}
	*out = utf8.AppendRune(*out, r)
	return n, nil
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string literal, escaping only what JSON
// requires (quote, backslash, control characters), as the host's
// serializer does.
func appendQuoted[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s, 1)
	return append(dst, '"')
}

// appendEscaped appends s escaped for a JSON string, `levels` times over:
// at level 2 the result is the escaping of the escaping, as a string
// literal inside a string literal needs it. Runs of plain bytes are copied
// whole.
func appendEscaped[S ~string | ~[]byte](dst []byte, s S, levels int) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plain[c] || c >= utf8.RuneSelf {
			continue
		}
		dst = append(dst, s[last:i]...)
		last = i + 1
		dst = appendEscapeOf(dst, c, levels)
	}
	return append(dst, s[last:]...)
}

// appendEscapeOf appends the escape of one byte, levels times over.
func appendEscapeOf(dst []byte, c byte, levels int) []byte {
	if levels == 2 {
		// The escape of "\" and of the quote, then the level-1 escape
		// whose own backslash needs escaping.
		dst = append(dst, '\\', '\\')
		if c == '"' || c == '\\' {
			return append(dst, '\\', c)
		}
	} else {
		dst = append(dst, '\\')
		if c == '"' || c == '\\' {
			return append(dst, c)
		}
	}
	switch c {
	case '\n':
		return append(dst, 'n')
	case '\r':
		return append(dst, 'r')
	case '\t':
		return append(dst, 't')
	}
	return append(dst, 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
