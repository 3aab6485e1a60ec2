package httpapi

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Rule ids of requests that Go's HTTP server refuses before any handler runs.
const (
	// RuleMalformedRequest: the request line or a header cannot be parsed
	// (a control character in a header, an invalid %-escape or a space in
	// the path, a missing Host header, ...).
	RuleMalformedRequest = "request.malformed"
	// RuleHeadersTooLarge: the header section exceeds Server.MaxHeaderBytes.
	RuleHeadersTooLarge = "request.headers_too_large"
	// RuleTransferEncoding: a transfer coding other than chunked.
	RuleTransferEncoding = "request.unsupported_transfer_encoding"
	// RuleHTTPVersion: a protocol version other than HTTP/1.0 and HTTP/1.1.
	RuleHTTPVersion = "request.unsupported_http_version"
)

// serverErrorHeaders is how net/http's own refusals continue after their
// status line (net/http server.go, conn.serve: errorHeaders). No answer of an
// API looks like this: its answers always carry X-Request-Id and Date, and
// net/http writes them in a different order.
const serverErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// refusal describes one status net/http writes itself.
type refusal struct {
	kind   Kind
	rule   string
	detail string
}

// refusalOf describes a refusal of status; a status net/http is not known
// to write is described from its status text.
func (s *Server) refusalOf(status int) refusal {
	switch status {
	case http.StatusBadRequest:
		return refusal{Kind{status, "invalid-request", "The request is invalid"}, RuleMalformedRequest,
			"the request line or a header is malformed, so the request could not be read"}
	case http.StatusRequestHeaderFieldsTooLarge:
		return refusal{Kind{status, "headers-too-large", "Request header fields too large"}, RuleHeadersTooLarge,
			"the request headers exceed " + strconv.Itoa(s.MaxHeaderBytes) + " bytes"}
	case http.StatusNotImplemented:
		return refusal{Kind{status, "not-implemented", "Not implemented"}, RuleTransferEncoding,
			"the only transfer coding served is chunked"}
	case http.StatusHTTPVersionNotSupported:
		return refusal{Kind{status, "http-version-not-supported", "HTTP version not supported"}, RuleHTTPVersion,
			"only HTTP/1.0 and HTTP/1.1 are served"}
	}
	return refusal{StatusKind(status), RuleMalformedRequest, strings.ToLower(http.StatusText(status))}
}

// refusalListener hands out connections whose net/http refusals leave as
// problem documents.
//
// Go's HTTP server answers some requests before any handler exists: a request
// line or header it cannot parse (400, which includes badly %-escaped paths and
// raw spaces: the URL is parsed before routing), headers above
// MaxHeaderBytes (431), a transfer coding it does not implement (501) and an
// HTTP version other than 1.x (505). It writes those answers as plain text in
// one Write straight to the connection, then closes it. refusalConn
// recognises exactly that format and writes the same status as a problem
// instead, so every answer of an API is application/problem+json.
type refusalListener struct {
	net.Listener
	s *Server
}

func (l refusalListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &refusalConn{Conn: c, s: l.s}, nil
}

type refusalConn struct {
	net.Conn
	s *Server
}

func (c *refusalConn) Write(p []byte) (int, error) {
	status, reason, ok := parseServerError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(c.s.refusalAnswer(status, reason, c.RemoteAddr())); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite keeps net/http's half-close after a 431 working through the
// wrapper.
func (c *refusalConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// parseServerError reports whether p is one whole refusal written by
// net/http itself, and returns its status and the reason it gives, if any
// ("400 Bad Request: missing required Host header").
func parseServerError(p []byte) (status int, reason string, ok bool) {
	const maxLen = 512 // the refusals are short; application answers are not inspected further
	if len(p) > maxLen || !(bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || bytes.HasPrefix(p, []byte("HTTP/1.0 "))) {
		return 0, "", false
	}
	line, _, found := bytes.Cut(p, []byte(serverErrorHeaders))
	if !found || bytes.Contains(line, []byte("\r\n")) || len(line) < len("HTTP/1.1 400") {
		return 0, "", false
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 400 || status > 599 {
		return 0, "", false
	}
	text := strings.TrimSpace(string(line[12:]))
	if after, cut := strings.CutPrefix(text, http.StatusText(status)); cut {
		reason = strings.TrimPrefix(after, ": ")
	}
	return status, reason, true
}

// refusalAnswer is the whole HTTP response that replaces a refusal: the same
// status, as a problem, closing the connection as net/http does.
func (s *Server) refusalAnswer(status int, reason string, remote net.Addr) []byte {
	d := s.refusalOf(status)
	if reason != "" {
		d.detail += ": " + reason
	}
	requestID := s.NewID()
	p := d.kind.Problem(requestID, "")
	p.Detail, p.Rule = d.detail, d.rule
	var body bytes.Buffer
	if err := EncodeJSON(&body, p); err != nil {
		body.Reset() // a Problem of strings always encodes; stay well formed regardless
	}
	s.Log.Debug("request refused before routing", "requestId", requestID, "status", status, "rule", d.rule, "reason", reason, "remote", remote.String())
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	b.WriteString("Content-Type: " + ProblemContentType + "\r\n")
	b.WriteString("Cache-Control: no-store\r\n")
	b.WriteString("Connection: close\r\n")
	b.WriteString(HeaderRequestID + ": " + requestID + "\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(body.Len()) + "\r\n\r\n")
	b.Write(body.Bytes())
	return b.Bytes()
}
