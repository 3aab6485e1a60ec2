package store

import (
	"encoding/json"
	"errors"

	"orderctx/infra/cosmosemu/jsondepth"
)

// member is one top-level property of a JSON object: its decoded name and its
// raw, validated value.
type member struct {
	key string
	raw []byte
}

var (
	errNotObject = errors.New("not a JSON object")
	// errTooDeep keeps items within Cosmos DB's nesting limit, which also
	// bounds every recursive walk over a stored item (this scanner's own,
	// the query engine's, patch's).
	errTooDeep = &jsondepth.Error{What: "the item"}
)

// scanObject validates a whole JSON document that must be an object and
// returns its top-level members in order. It is the write path's parser: an
// item needs only its id, partition key and a few system names read, and
// decoding into a map would allocate for every property.
func scanObject(b []byte) ([]member, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errNotObject
	}
	members := make([]member, 0, 8)
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		if skipSpace(b, i+1) != len(b) {
			return nil, errors.New("data after the object")
		}
		return members, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, errors.New("expected a property name")
		}
		end, escaped, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		key := string(b[i+1 : end-1])
		if escaped {
			if err := json.Unmarshal(b[i:end], &key); err != nil {
				return nil, err
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, errors.New("expected ':'")
		}
		i = skipSpace(b, i+1)
		start := i
		if i, err = skipValue(b, i, 1); err != nil {
			return nil, err
		}
		members = append(members, member{key: key, raw: b[start:i]})
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, errors.New("unexpected end of input")
		}
		if b[i] == '}' {
			if skipSpace(b, i+1) != len(b) {
				return nil, errors.New("data after the object")
			}
			return members, nil
		}
		if b[i] != ',' {
			return nil, errors.New("expected ',' or '}'")
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (end int, escaped bool, err error) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			i++
			if i >= len(b) {
				return 0, false, errors.New("unterminated string")
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return 0, false, errors.New("bad \\u escape")
				}
				for _, h := range b[i+1 : i+5] {
					if _, ok := unhexDigit(h); !ok {
						return 0, false, errors.New("bad \\u escape")
					}
				}
				i += 4
			default:
				return 0, false, errors.New("bad escape")
			}
		case c < 0x20:
			return 0, false, errors.New("control character in string")
		case c >= 0x80:
			// Non-ASCII: decode through encoding/json, which also replaces
			// invalid UTF-8 as every other reader of the item will.
			escaped = true
		}
	}
	return 0, false, errors.New("unterminated string")
}

func unhexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// skipValue returns the index after the JSON value starting at b[i], which
// is inside depth objects and arrays (the item itself counts).
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of input")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := skipString(b, i)
		return end, err
	case c == '{' || c == '[':
		if depth >= jsondepth.Max {
			return 0, errTooDeep
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, nil
		}
		for {
			var err error
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return 0, errors.New("expected a property name")
				}
				if i, _, err = skipString(b, i); err != nil {
					return 0, err
				}
				i = skipSpace(b, i)
				if i >= len(b) || b[i] != ':' {
					return 0, errors.New("expected ':'")
				}
				i = skipSpace(b, i+1)
			}
			if i, err = skipValue(b, i, depth+1); err != nil {
				return 0, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return 0, errors.New("unexpected end of input")
			}
			if b[i] == closer {
				return i + 1, nil
			}
			if b[i] != ',' {
				return 0, errors.New("expected ',' or a closing bracket")
			}
			i = skipSpace(b, i+1)
		}
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || ('0' <= c && c <= '9'):
		return skipNumber(b, i)
	}
	return 0, errors.New("unexpected character")
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, errors.New("bad literal")
	}
	return i + len(lit), nil
}

// skipNumber follows JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) (int, error) {
	bad := errors.New("bad number")
	if b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return 0, bad
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return 0, bad
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, bad
		}
	}
	return i, nil
}
