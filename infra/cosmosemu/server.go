// Package cosmosemu is an embedded server for the subset of the Azure Cosmos DB
// NoSQL REST API that the official Go SDK (azcosmos) and this project use. It
// checks master-key signatures, keeps data in the store package (durable on
// disk or in memory), and can run in-process as an http.Handler or an
// http.Client transport, or listen where the official emulator does.
package cosmosemu

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"orderctx/infra/cosmosemu/store"
)

// EmulatorKey is the well-known master key of the official Cosmos DB Emulator.
const EmulatorKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="

// Limits of one request, as Cosmos DB enforces them.
const (
	maxRequestBytes   = store.MaxItemBytes + 64*1024 // an item plus envelope
	maxBatchOps       = 100
	maxBatchBytes     = 2 * 1024 * 1024
	maxQueryTextBytes = 256 * 1024
)

// Config configures a Server.
type Config struct {
	// Dir is the data directory; empty keeps data in memory only.
	Dir string
	// Key is the base64 master key; empty means EmulatorKey.
	Key string
	// DefaultPartitions is how many physical partitions a new container gets
	// (default 1). A create request can ask for more with the
	// x-ms-emulator-partitions header.
	DefaultPartitions int
	// Log receives request failures and operational messages.
	Log *slog.Logger
	// Consistency is the account's default consistency level as reported to
	// clients (default "Session", as the emulator's); with one replica every
	// level behaves as Strong.
	Consistency string
}

// Server serves the Cosmos DB REST API over a store.Engine.
type Server struct {
	engine      *store.Engine
	key         []byte
	log         *slog.Logger
	faults      *Faults
	hmacs       sync.Pool
	activity    atomic.Uint64
	idPrefix    string
	consistency string
	queries     sync.Map // query text -> *cosmossql.Query
	queryCount  atomic.Int64
}

// New opens the store and returns a server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.Key == "" {
		cfg.Key = EmulatorKey
	}
	key, err := base64.StdEncoding.DecodeString(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("master key is not base64: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	eng, err := store.Open(store.Options{Dir: cfg.Dir, DefaultPartitions: cfg.DefaultPartitions, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	var prefix [6]byte
	_, _ = rand.Read(prefix[:])
	if cfg.Consistency == "" {
		cfg.Consistency = "Session"
	}
	switch cfg.Consistency {
	case "Strong", "BoundedStaleness", "Session", "ConsistentPrefix", "Eventual":
	default:
		eng.Close()
		return nil, fmt.Errorf("unknown consistency level %q", cfg.Consistency)
	}
	s := &Server{engine: eng, key: key, log: cfg.Log, faults: &Faults{}, idPrefix: hex.EncodeToString(prefix[:]), consistency: cfg.Consistency}
	s.hmacs.New = func() any { return hmac.New(sha256.New, s.key) }
	return s, nil
}

// Close flushes and closes the store.
func (s *Server) Close() error { return s.engine.Close() }

// Engine exposes the storage engine (for tests and operational commands).
func (s *Server) Engine() *store.Engine { return s.engine }

// Faults returns the fault-injection rules; none are active by default.
func (s *Server) Faults() *Faults { return s.faults }

// SplitRange splits a live partition key range of a container in two.
func (s *Server) SplitRange(db, container, rangeID string) ([2]string, error) {
	d, err := s.engine.Database(db)
	if err != nil {
		return [2]string{}, err
	}
	c, err := d.Container(container)
	if err != nil {
		return [2]string{}, err
	}
	return c.SplitRange(rangeID)
}

// request is the parsed form of one REST call.
type request struct {
	x        exchange
	method   string
	path     string
	segs     []string // unescaped path segments
	resType  string   // the resource type the signature names ("docs", "colls", ...)
	resLink  string   // the resource link the signature names
	activity string
	charge   float64
	session  string
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(stdExchange{w, r})
}

func (s *Server) serve(x exchange) {
	req := &request{x: x, method: x.method(), path: x.escapedPath(), activity: s.nextActivityID()}
	if err := req.parsePath(); err != nil {
		s.fail(req, err)
		return
	}
	// Control requests are never faulted, so a test can always clear its faults.
	if len(req.segs) == 0 || req.segs[0] != "_emulator" {
		if f := s.faults.match(req); f != nil && f.apply(s, req) {
			return
		}
	}
	if err := s.authorize(req); err != nil {
		s.fail(req, err)
		return
	}
	if x.contentLength() > maxRequestBytes {
		s.fail(req, tooLarge(maxRequestBytes))
		return
	}
	s.route(req)
}

func (req *request) parsePath() *store.Error {
	p := strings.Trim(req.path, "/")
	if p != "" && !strings.ContainsAny(p, "%\\#") {
		// Nothing escaped: the segments are the path's own.
		req.segs = strings.Split(p, "/")
	} else if p != "" {
		raw := strings.Split(p, "/")
		req.segs = make([]string, 0, len(raw))
		for _, seg := range raw {
			u, err := url.PathUnescape(seg)
			if err != nil {
				return &store.Error{Status: 400, Code: "BadRequest", Message: "The request path is not valid."}
			}
			if !strings.ContainsAny(u, "%\\#/ \r\n\t") {
				req.segs = append(req.segs, u)
				continue
			}
			gw, gerr := gatewaySegments(u)
			if gerr != nil {
				return gerr
			}
			req.segs = append(req.segs, gw...)
		}
	}
	// The signature names the resource type and the link of the addressed
	// resource: for a feed (odd segment count) the type is the last segment
	// and the link is its parent.
	n := len(req.segs)
	switch {
	case n == 0:
	case n%2 == 1:
		req.resType = req.segs[n-1]
		req.resLink = strings.Join(req.segs[:n-1], "/")
	default:
		req.resType = req.segs[n-2]
		req.resLink = strings.Join(req.segs, "/")
	}
	if n == 2 && req.segs[0] == "offers" {
		// Offers are addressed by resource id, and the SDKs sign rid-based
		// links as the lower-cased rid alone.
		req.resLink = strings.ToLower(req.segs[1])
	}
	return nil
}

// authorize checks the master-key signature the SDKs compute over
// verb, resource type, resource link and x-ms-date.
func (s *Server) authorize(req *request) *store.Error {
	unauthorized := func(msg string) *store.Error {
		return &store.Error{Status: 401, Code: "Unauthorized", Message: msg}
	}
	h := req.header("Authorization")
	if h == "" {
		return unauthorized("Required Header authorization is missing. Ensure a valid Authorization token is passed.")
	}
	var tokenBuf [256]byte
	token, ok := queryUnescape(tokenBuf[:0], h)
	if !ok {
		return unauthorized("The authorization token is not URL encoded.")
	}
	typ, sig := tokenField(token, "type"), tokenField(token, "sig")
	if string(typ) != "master" {
		return unauthorized("Only master-key authorization (type=master) is supported by this server.")
	}
	date := req.header("x-ms-date")
	if date == "" {
		date = req.header("Date")
	}
	mac := s.hmacs.Get().(hash.Hash)
	defer s.hmacs.Put(mac)
	mac.Reset()
	var buf [512]byte
	b := appendLower(buf[:0], req.method)
	b = append(b, '\n')
	b = appendLower(b, req.resType)
	b = append(b, '\n')
	b = append(b, req.resLink...)
	b = append(b, '\n')
	b = appendLower(b, date)
	b = append(b, "\n\n"...)
	mac.Write(b)
	var sum [32]byte
	var wantBuf [64]byte
	want := base64.StdEncoding.AppendEncode(wantBuf[:0], mac.Sum(sum[:0]))
	if !hmac.Equal(want, sig) {
		return unauthorized(fmt.Sprintf("The input authorization token can't serve the request. The wrong key is being used or the expected payload is not built as per the protocol. Server used the following payload to sign: '%s'", strings.ReplaceAll(string(b), "\n", `\n`)))
	}
	return nil
}

// gatewaySegments reads one decoded path segment the way the Cosmos DB
// gateway does, so ids the gateway cannot address fail here as they fail
// there: it decodes percent escapes a second time, treats '\\' and '/' as
// separators, ends the path at '#', trims trailing spaces, and refuses
// control characters. The SDK signs the segment as it was, so any change
// makes the signature check answer 401, exactly as the gateway does.
func gatewaySegments(seg string) ([]string, *store.Error) {
	if strings.ContainsAny(seg, "\r\n\t") {
		return nil, &store.Error{Status: 400, Code: "BadRequest", Message: "The request path contains a control character."}
	}
	if u, err := url.PathUnescape(seg); err == nil {
		seg = u
	}
	if i := strings.IndexByte(seg, '#'); i >= 0 {
		seg = seg[:i]
	}
	parts := strings.Split(strings.ReplaceAll(seg, "\\", "/"), "/")
	for i := range parts {
		parts[i] = strings.TrimRight(parts[i], " ")
	}
	return parts, nil
}

// queryUnescape percent-decodes s (query escaping: '+' is a space) into dst.
func queryUnescape(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) {
				return nil, false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return nil, false
			}
			dst = append(dst, hi<<4|lo)
			i += 2
		case '+':
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
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

// tokenField returns the value of name in "k=v&k=v" without allocating.
func tokenField(token []byte, name string) []byte {
	for len(token) > 0 {
		part := token
		if i := bytes.IndexByte(token, '&'); i >= 0 {
			part, token = token[:i], token[i+1:]
		} else {
			token = nil
		}
		if len(part) > len(name) && part[len(name)] == '=' && string(part[:len(name)]) == name {
			return part[len(name)+1:]
		}
	}
	return nil
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func (s *Server) nextActivityID() string {
	n := s.activity.Add(1)
	b := make([]byte, 0, 36)
	b = append(b, s.idPrefix[:8]...)
	b = append(b, '-')
	b = append(b, s.idPrefix[8:12]...)
	b = append(b, "-4000-8000-"...)
	hexN := strconv.FormatUint(n, 16)
	for i := len(hexN); i < 12; i++ {
		b = append(b, '0')
	}
	return string(append(b, hexN...))
}

// headers writes the headers every Cosmos DB response carries.
func (s *Server) headers(req *request, contentType bool) {
	if contentType {
		req.setHeader("Content-Type", "application/json")
	}
	if req.charge <= 1 {
		req.setHeader("X-Ms-Request-Charge", "1.00")
	} else {
		req.setHeader("X-Ms-Request-Charge", strconv.FormatFloat(req.charge, 'f', 2, 64))
	}
	req.setHeader("X-Ms-Activity-Id", req.activity)
	if req.session == "" {
		req.session = "0:-1#0"
	}
	req.setHeader("X-Ms-Session-Token", req.session)
	req.setHeader("X-Ms-Gatewayversion", "version=2.14.0")
	req.setHeader("X-Ms-Serviceversion", "version=2.14.0.0")
}

// fail writes an error as Cosmos DB does: status, sub-status and {code, message}.
func (s *Server) fail(req *request, err error) {
	se, ok := err.(*store.Error)
	if !ok {
		s.log.Error("cosmos request failed", "method", req.method, "path", req.path, "err", err)
		se = &store.Error{Status: 500, Code: "InternalServerError", Message: "The server encountered an internal error."}
	}
	s.headers(req, true)
	if se.SubStatus != 0 {
		req.setHeader("X-Ms-Substatus", strconv.Itoa(se.SubStatus))
	}
	req.writeHeader(se.Status)
	if se.Status == http.StatusNotModified {
		return
	}
	body := make([]byte, 0, 64+len(se.Message))
	body = append(body, `{"code":`...)
	body = strconv.AppendQuote(body, se.Code)
	body = append(body, `,"message":`...)
	body = appendJSONString(body, se.Message)
	body = append(body, '}')
	req.write(body)
}

func badRequest(format string, args ...any) *store.Error {
	return &store.Error{Status: 400, Code: "BadRequest", Message: fmt.Sprintf(format, args...)}
}

func notFound(what string) *store.Error {
	return &store.Error{Status: 404, Code: "NotFound", Message: "Resource Not Found: " + what}
}
