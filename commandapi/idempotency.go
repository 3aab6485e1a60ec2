package commandapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"orderctx/domain/es"
	"orderctx/infra/httpapi"
)

// Header names of the command protocol.
const (
	// HeaderIdempotencyKey makes a command safe to retry (IETF
	// draft-ietf-httpapi-idempotency-key-header).
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplayed is "true" on the answer to a retried command,
	// which was not applied again.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
	// HeaderRequestID carries the request id in and out.
	HeaderRequestID = httpapi.HeaderRequestID
	// HeaderCorrelationID carries the correlation id of a larger flow in; it
	// defaults to the request id and is stored on every event.
	HeaderCorrelationID = "X-Correlation-Id"
)

// MaxIdempotencyKeyLength bounds an Idempotency-Key; a UUID has 36 characters.
const MaxIdempotencyKeyLength = 255

// commandHeaders are the command-protocol headers of one request.
type commandHeaders struct {
	expected *int64 // If-Match
	key      string // Idempotency-Key, "" when absent
}

func parseCommandHeaders(h http.Header) (commandHeaders, error) {
	var ch commandHeaders
	var err error
	if ch.expected, err = parseIfMatch(h.Values("If-Match")); err != nil {
		return ch, err
	}
	ch.key, err = parseIdempotencyKey(h.Values(HeaderIdempotencyKey))
	return ch, err
}

// parseIfMatch accepts one strong entity tag holding a stream version ("3"),
// or "*" (any existing version: no pin). A list or weak tag is refused rather
// than guessed at, because a version cannot match more than one value.
func parseIfMatch(values []string) (*int64, error) {
	if len(values) == 0 {
		return nil, nil
	}
	v := strings.TrimSpace(strings.Join(values, ","))
	if v == "*" {
		return nil, nil
	}
	bad := requestProblem(es.Invalid, RuleHeader, "If-Match", `must be one strong entity tag with the order version, such as "3", as returned in ETag`)
	if len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, bad
	}
	n, err := strconv.ParseInt(v[1:len(v)-1], 10, 64)
	if err != nil || n < 0 || v[1] == '+' {
		return nil, bad
	}
	return &n, nil
}

// parseIdempotencyKey accepts a key of 1..MaxIdempotencyKeyLength visible
// ASCII characters, bare or as a quoted structured-field string.
func parseIdempotencyKey(values []string) (string, error) {
	if len(values) == 0 {
		return "", nil
	}
	bad := requestProblem(es.Invalid, RuleHeader, HeaderIdempotencyKey, "must be one key of 1 to %d visible ASCII characters", MaxIdempotencyKeyLength)
	if len(values) > 1 {
		return "", bad
	}
	k := strings.TrimSpace(values[0])
	if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
		k = k[1 : len(k)-1]
	}
	if k == "" || len(k) > MaxIdempotencyKeyLength {
		return "", bad
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e || k[i] == '"' || k[i] == '\\' {
			return "", bad
		}
	}
	return k, nil
}

// etag formats a stream version as a strong entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// requestHash fingerprints a command: its name, order and decoded body. The
// body is hashed in its canonical re-encoding, so whitespace, member order
// and null-versus-absent do not make a retry look like a different request.
func requestHash(command, orderID string, body any) string {
	h := sha256.New()
	h.Write([]byte("orderctx.command.v1\x00" + command + "\x00" + orderID + "\x00"))
	canonical, err := json.Marshal(body)
	if err != nil {
		// Request bodies are plain structs of strings and numbers; Marshal
		// cannot fail on them. Hash the error text so the result is still stable.
		canonical = []byte(err.Error())
	}
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// orderIDFromKey derives the id of a new order from its Idempotency-Key, so a
// retried POST /orders addresses the same stream and is recognised there
// instead of creating a second order. The id is a UUID of version 8 (RFC
// 9562, custom) built from SHA-256, shaped like the random ids the server
// assigns without a key.
func orderIDFromKey(key string) string {
	sum := sha256.Sum256([]byte("orderctx.order-id.v1\x00" + key))
	return es.FormatUUID([16]byte(sum[:16]), 8)
}
