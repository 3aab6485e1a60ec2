package cosmossql

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// tokenKind classifies a token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokKeyword // text holds the keyword in upper case
	tokNumber
	tokString
	tokParam
	tokOp // punctuation and operators; text holds the symbol
)

// token is one lexical unit. pos is the byte offset in the query, used in
// error messages so users can find the problem.
type token struct {
	kind tokenKind
	text string  // identifier, keyword (upper case), operator, parameter name with '@'
	str  string  // decoded value of a string literal
	num  float64 // value of a number literal
	pos  int
}

// keywords are reserved words of the query language. They are matched
// without regard to case and cannot be used as bare identifiers; a property
// with such a name must be written c["value"], as on the service.
var keywords = map[string]bool{
	"AND": true, "ARRAY": true, "AS": true, "ASC": true, "BETWEEN": true,
	"BY": true, "DESC": true, "DISTINCT": true, "ESCAPE": true, "EXISTS": true,
	"FROM": true, "GROUP": true, "IN": true, "JOIN": true, "LIKE": true,
	"LIMIT": true, "NOT": true, "OFFSET": true, "OR": true, "ORDER": true,
	"SELECT": true, "TOP": true, "VALUE": true, "WHERE": true,
}

// caseSensitiveLiterals are keywords only in lower case, as in the service
// grammar; TRUE or Null are ordinary identifiers.
var caseSensitiveLiterals = map[string]bool{
	"true": true, "false": true, "null": true, "undefined": true, "udf": true,
}

// operators lists the multi-character operators first so the longest match
// wins.
var operators = []string{
	">>>", "<<", ">>", "<=", ">=", "!=", "<>", "||", "??",
	"(", ")", "[", "]", "{", "}", ",", ".", ":", "*", "+", "-", "/", "%",
	"=", "<", ">", "|", "&", "^", "~", "?", ";",
}

// lexer reads a query one token at a time. The parser keeps only the tokens
// it looks at, so the memory a query costs does not grow with its length:
// a query of half a megabyte of parentheses is refused at MaxNesting having
// held two tokens, not hundreds of thousands.
type lexer struct {
	src string
	i   int
}

// next returns the next token, and tokEOF at the end of the query (again on
// every later call). It never panics; malformed input yields an *Error that
// names the position, after which the lexer is at the end.
func (l *lexer) next() (token, error) {
	t, err := l.scan()
	if err != nil {
		l.i = len(l.src)
	}
	return t, err
}

func (l *lexer) scan() (token, error) {
	src := l.src
	for l.i < len(src) {
		i, c := l.i, src[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			// Line comment, accepted by the hosted service.
			for l.i < len(src) && src[l.i] != '\n' {
				l.i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			// The hosted service rejects block comments with HTTP 400.
			return token{}, errorf("syntax error at position %d: block comments (/* */) are not supported; use -- comments", i)
		case isIdentStart(c):
			return l.word(), nil
		case c == '@':
			return l.param()
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			t, next, err := lexNumber(src, i)
			l.i = next
			return t, err
		case c == '"' || c == '\'':
			t, next, err := lexString(src, i)
			l.i = next
			return t, err
		default:
			return l.operator()
		}
	}
	return token{kind: tokEOF, pos: len(src)}, nil
}

// word reads an identifier or keyword.
func (l *lexer) word() token {
	start := l.i
	for l.i < len(l.src) && isIdentPart(l.src[l.i]) {
		l.i++
	}
	word := l.src[start:l.i]
	upper := strings.ToUpper(word)
	switch {
	case keywords[upper], caseSensitiveLiterals[word]:
		return token{kind: tokKeyword, text: upper, pos: start}
	default:
		return token{kind: tokIdent, text: word, pos: start}
	}
}

// param reads @name.
func (l *lexer) param() (token, error) {
	start := l.i
	l.i++
	if l.i >= len(l.src) || !isIdentStart(l.src[l.i]) {
		return token{}, errorf("syntax error at position %d: a parameter name must be '@' followed by an identifier", start)
	}
	for l.i < len(l.src) && isIdentPart(l.src[l.i]) {
		l.i++
	}
	return token{kind: tokParam, text: l.src[start:l.i], pos: start}, nil
}

// singleOperators are the operator characters that begin no longer operator.
const singleOperators = "()[]{},.:*+-/%=&^~;"

// operator reads the longest operator at the current position.
func (l *lexer) operator() (token, error) {
	if strings.IndexByte(singleOperators, l.src[l.i]) >= 0 {
		t := token{kind: tokOp, text: l.src[l.i : l.i+1], pos: l.i}
		l.i++
		return t, nil
	}
	for _, o := range operators {
		if strings.HasPrefix(l.src[l.i:], o) {
			t := token{kind: tokOp, text: o, pos: l.i}
			l.i += len(o)
			return t, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.i:])
	return token{}, errorf("syntax error at position %d: unexpected character %q", l.i, r)
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexNumber reads DIGITS [. DIGITS] [e [+-] DIGITS] or . DIGITS [exponent].
func lexNumber(src string, start int) (token, int, error) {
	i := start
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i < len(src) && src[i] == '.' {
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	if i < len(src) && isIdentStart(src[i]) {
		return token{}, 0, errorf("syntax error at position %d: invalid number %q", start, src[start:i+1])
	}
	text := src[start:i]
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// Only a range error is possible here: the text is well formed.
		return token{}, 0, errorf("syntax error at position %d: number %s is out of range", start, text)
	}
	return token{kind: tokNumber, text: text, num: v, pos: start}, i, nil
}

// lexString decodes a quoted string with JSON-style escapes. Both quote
// styles accept \' and \" so either can be embedded.
func lexString(src string, start int) (token, int, error) {
	quote := src[start]
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(src) {
			return token{}, 0, errorf("syntax error at position %d: unterminated string literal", start)
		}
		c := src[i]
		switch {
		case c == quote:
			return token{kind: tokString, str: b.String(), pos: start}, i + 1, nil
		case c == '\\':
			if i+1 >= len(src) {
				return token{}, 0, errorf("syntax error at position %d: unterminated string literal", start)
			}
			e := src[i+1]
			i += 2
			switch e {
			case '"', '\'', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, next, ok := lexUnicodeEscape(src, i)
				if !ok {
					return token{}, 0, errorf("syntax error at position %d: invalid \\u escape in string literal", i-2)
				}
				b.WriteRune(r)
				i = next
			default:
				return token{}, 0, errorf("syntax error at position %d: invalid escape sequence \\%c in string literal", i-2, e)
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// lexUnicodeEscape reads the four hex digits after \u, joining a UTF-16
// surrogate pair written as two escapes. A lone surrogate becomes U+FFFD, as
// the service stores it.
func lexUnicodeEscape(src string, i int) (rune, int, bool) {
	r1, ok := hex4(src, i)
	if !ok {
		return 0, 0, false
	}
	i += 4
	if utf16.IsSurrogate(r1) {
		if i+6 <= len(src) && src[i] == '\\' && src[i+1] == 'u' {
			if r2, ok := hex4(src, i+2); ok {
				if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
					return r, i + 6, true
				}
			}
		}
		return utf8.RuneError, i, true
	}
	return r1, i, true
}

func hex4(src string, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	v, err := strconv.ParseUint(src[i:i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}
