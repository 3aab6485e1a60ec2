package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// envelope is the request's top level: the raw value of the trigger's
// binding in Data, and the raw Metadata.
type envelope struct {
	binding  []byte
	metadata []byte
}

// parseEnvelope reads {"Data":{...},"Metadata":{...}} in one pass without
// decoding the binding's value: the documents, by far the largest part,
// are read once, by unwrap and documents. Member names match as
// encoding/json matches them (Data and Metadata in any case; the binding
// exactly, else in any case); the last of duplicate members wins. Every
// other value is checked with json.Valid, so a body with a syntax error
// anywhere is refused.
func parseEnvelope(b []byte, binding string, maxDepth int) (envelope, error) {
	p := &scanner{b: b, maxDepth: maxDepth}
	var env envelope
	exact := false
	err := p.object(func(key []byte) error {
		switch {
		case equalFoldASCII(string(key), "Data"):
			env.binding, exact = nil, false // the last Data counts
			if p.peek() != '{' {
				return p.skipChecked()
			}
			return p.object(func(name []byte) error {
				v, err := p.value()
				if err != nil {
					return err
				}
				if string(name) == binding || (!exact && equalFoldASCII(string(name), binding)) {
					env.binding, exact = v, exact || string(name) == binding
					return nil
				}
				return checkValid(v)
			})
		case equalFoldASCII(string(key), "Metadata"):
			v, err := p.value()
			if err == nil {
				env.metadata, err = v, checkValid(v)
			}
			return err
		default:
			return p.skipChecked()
		}
	})
	if err != nil {
		return env, err
	}
	if p.ws(); p.i != len(b) {
		return env, p.errorf("unexpected data after the request object")
	}
	return env, nil
}

// scanner walks a JSON text by structure, bounding nesting.
type scanner struct {
	b        []byte
	i        int
	maxDepth int
}

func (p *scanner) ws() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func (p *scanner) peek() byte {
	if p.ws(); p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

// object reads an object, calling member with each decoded name while the
// scanner stands at the member's value, which member must consume.
func (p *scanner) object(member func(name []byte) error) error {
	if p.peek() != '{' {
		return p.errorf("want an object")
	}
	p.i++
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.errorf("want a member name")
		}
		raw, err := p.value()
		if err != nil {
			return err
		}
		name, err := unquote(raw)
		if err != nil {
			return p.errorf("member name: %v", err)
		}
		if p.peek() != ':' {
			return p.errorf("want ':'")
		}
		p.i++
		p.ws()
		if err := member(name); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("want ',' or '}'")
		}
	}
}

// value returns the span of the next value, found by structure alone
// (strings, brackets, delimiters): its syntax is for the caller to check.
func (p *scanner) value() ([]byte, error) {
	p.ws()
	start := p.i
	if p.i == len(p.b) {
		return nil, p.errorf("want a value")
	}
	switch p.b[p.i] {
	case '"':
		p.i++
		for esc := false; p.i < len(p.b); p.i++ {
			switch c := p.b[p.i]; {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				p.i++
				return p.b[start:p.i], nil
			}
		}
		return nil, p.errorf("unterminated string")
	case '{', '[':
		depth := 0
		var str stringState
		for ; p.i < len(p.b); p.i++ {
			c := p.b[p.i]
			if str.consume(c) {
				continue
			}
			switch c {
			case '"':
				str.in = true
			case '{', '[':
				if depth++; depth > p.maxDepth {
					return nil, errTooDeep
				}
			case '}', ']':
				if depth--; depth == 0 {
					p.i++
					return p.b[start:p.i], nil
				}
			}
		}
		return nil, p.errorf("unterminated %c", p.b[start])
	}
	for p.i < len(p.b) && !isSpace(p.b[p.i]) && bytes.IndexByte([]byte(",:{}[]\""), p.b[p.i]) < 0 {
		p.i++
	}
	if p.i == start {
		return nil, p.errorf("want a value")
	}
	return p.b[start:p.i], nil
}

// skipChecked consumes a value the handler does not need, checking it.
func (p *scanner) skipChecked() error {
	v, err := p.value()
	if err != nil {
		return err
	}
	return checkValid(v)
}

func checkValid(v []byte) error {
	if !json.Valid(v) {
		return errors.New("invalid JSON value " + abbreviate(v))
	}
	return nil
}

func abbreviate(v []byte) string {
	if len(v) > 40 {
		return string(v[:40]) + "..."
	}
	return string(v)
}
