package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Limits bound what a request may make the handler do. Zero fields take
// the defaults.
type Limits struct {
	// MaxBodyBytes bounds the request body (default 64 MiB). The host sends
	// one batch of at most maxItemsPerInvocation documents of at most 2 MB
	// each, escaped twice.
	MaxBodyBytes int64
	// MaxDocuments bounds the documents of one invocation (default 10,000).
	MaxDocuments int
	// MaxDepth bounds the nesting of arrays and objects: of the documents
	// array (itself level 1) and of every other value in the request
	// (default 132: Cosmos DB documents nest at most 128 levels).
	MaxDepth int
}

// Default limits.
const (
	DefaultMaxBodyBytes = 64 << 20
	DefaultMaxDocuments = 10_000
	DefaultMaxDepth     = 132
)

// WithDefaults fills the zero fields.
func (l Limits) WithDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = DefaultMaxDocuments
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Rules of the request errors: stable ids for logs and problem documents.
const (
	RuleMalformed      = "payload.malformed_json"
	RuleTooLarge       = "payload.too_large"
	RuleTooDeep        = "payload.too_deep"
	RuleTooMany        = "payload.too_many_documents"
	RuleMissingBinding = "payload.missing_binding"
	RuleNotDocuments   = "payload.not_documents"
)

// DecodeError is a request the handler cannot read: Field is the JSON path
// at fault ("Data.documents[3]"), Rule one of the Rule constants.
type DecodeError struct {
	Field, Rule, Message string
}

func (e *DecodeError) Error() string { return e.Field + ": " + e.Message }

// Encoding says how a request carried its documents.
type Encoding int

// Encodings of Data.<binding>: the host's (double), a JSON string holding
// the array (single), or the array itself (plain).
const (
	Plain Encoding = iota
	Single
	Double
)

// Request is a decoded invocation request.
type Request struct {
	// Documents are the batch's documents in feed order, each a JSON object.
	// They point into the request's buffers and stay valid after the call.
	Documents []json.RawMessage
	Metadata  Metadata
	// MetadataErr is why Metadata could not be read, if it could not. The
	// documents matter; metadata only feeds logs, so this does not fail the
	// invocation.
	MetadataErr error
	Encoding    Encoding
}

// DecodeRequest reads the body of an invocation for the trigger binding
// named binding. It accepts the host's double encoding and, for other
// callers, the single and plain ones. Every failure is a *DecodeError.
func DecodeRequest(body []byte, binding string, lim Limits) (*Request, error) {
	lim = lim.WithDefaults()
	if int64(len(body)) > lim.MaxBodyBytes {
		return nil, &DecodeError{"", RuleTooLarge, fmt.Sprintf("the body exceeds %d bytes", lim.MaxBodyBytes)}
	}
	env, err := parseEnvelope(body, binding, lim.MaxDepth)
	switch {
	case errors.Is(err, errTooDeep):
		return nil, tooDeep("", lim)
	case err != nil:
		return nil, &DecodeError{"", RuleMalformed, "the body is not an invocation request: " + err.Error()}
	}
	field := "Data." + binding
	if env.binding == nil {
		return nil, &DecodeError{field, RuleMissingBinding, "the trigger's documents are missing"}
	}
	req := &Request{}
	arr, err := unwrap(env.binding, req, field)
	if err != nil {
		return nil, err
	}
	if req.Documents, err = documents(arr, field, lim); err != nil {
		return nil, err
	}
	if len(env.metadata) > 0 && !bytes.Equal(env.metadata, []byte("null")) {
		req.MetadataErr = json.Unmarshal(env.metadata, &req.Metadata)
	}
	return req, nil
}

// equalFoldASCII compares names as encoding/json matches member names.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// unwrap removes up to two levels of string encoding around the array.
func unwrap(raw []byte, req *Request, field string) ([]byte, error) {
	v := trimSpace(raw)
	for req.Encoding = Plain; len(v) > 0 && v[0] == '"'; req.Encoding++ {
		if req.Encoding == Double {
			return nil, &DecodeError{field, RuleNotDocuments, "more than two levels of string encoding"}
		}
		s, err := unquote(v)
		if err != nil {
			return nil, &DecodeError{field, RuleMalformed, err.Error()}
		}
		v = trimSpace(s)
	}
	if len(v) == 0 || v[0] != '[' {
		return nil, &DecodeError{field, RuleNotDocuments, "want the array of documents (or a JSON string holding it)"}
	}
	return v, nil
}

// documents splits and checks the array: bounded depth and count, valid
// JSON, and every element an object.
func documents(arr []byte, field string, lim Limits) ([]json.RawMessage, error) {
	docs, err := splitArray(arr, lim.MaxDepth, lim.MaxDocuments)
	switch {
	case errors.Is(err, errTooDeep):
		return nil, tooDeep(field, lim)
	case errors.Is(err, errTooMany):
		return nil, &DecodeError{field, RuleTooMany, fmt.Sprintf("more than %d documents", lim.MaxDocuments)}
	case err != nil:
		return nil, &DecodeError{field, RuleMalformed, err.Error()}
	}
	if !json.Valid(arr) {
		return nil, &DecodeError{field, RuleMalformed, "the documents are not valid JSON"}
	}
	for i, d := range docs {
		if d[0] != '{' {
			return nil, &DecodeError{fmt.Sprintf("%s[%d]", field, i), RuleNotDocuments, "a document is a JSON object"}
		}
	}
	return docs, nil
}

func tooDeep(field string, lim Limits) *DecodeError {
	return &DecodeError{field, RuleTooDeep, fmt.Sprintf("arrays and objects nest deeper than %d levels", lim.MaxDepth)}
}
