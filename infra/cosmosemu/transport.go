package cosmosemu

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Client returns an *http.Client that serves requests in-process, with no
// socket, so tests and dev mode can hand it to azcosmos as its transport.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: inProcess{s}}
}

type inProcess struct{ s *Server }

// RoundTrip serves r through the server's own exchange, as the listeners do:
// the server only reads the request through it, so the request needs no
// copy, and the answer is built as an *http.Response directly.
func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	x := &inProcessExchange{r: r, status: http.StatusOK, answer: http.Header{}}
	// The handler may read the body after RoundTrip's caller closes it, so
	// take a private copy first, as a network hop would.
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		x.in = b
	}
	t.s.serve(x)
	return &http.Response{
		Status:     fmt.Sprintf("%03d %s", x.status, http.StatusText(x.status)),
		StatusCode: x.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: x.answer, Body: io.NopCloser(bytes.NewReader(x.out)), ContentLength: int64(len(x.out)),
		Request: r,
	}, nil
}

// inProcessExchange carries a request of the in-process transport and
// collects its answer.
type inProcessExchange struct {
	r      *http.Request
	in     []byte
	status int
	answer http.Header
	wrote  bool // the status and headers are sent: the first writeHeader or write fixes them, as in net/http
	out    []byte
}

func (x *inProcessExchange) method() string      { return x.r.Method }
func (x *inProcessExchange) escapedPath() string { return x.r.URL.EscapedPath() }
func (x *inProcessExchange) header(name string) string {
	return x.r.Header.Get(name)
}
func (x *inProcessExchange) contentLength() int64 {
	if x.r.Body == nil {
		return x.r.ContentLength
	}
	return int64(len(x.in))
}
func (x *inProcessExchange) host() string             { return cmp.Or(x.r.Host, x.r.URL.Host) }
func (x *inProcessExchange) isTLS() bool              { return x.r.TLS != nil }
func (x *inProcessExchange) context() context.Context { return x.r.Context() }

func (x *inProcessExchange) setHeader(name, value string) {
	if !x.wrote {
		x.answer[name] = []string{value}
	}
}

func (x *inProcessExchange) writeHeader(status int) {
	if !x.wrote {
		x.status, x.wrote = status, true
	}
}

func (x *inProcessExchange) write(b []byte) {
	x.wrote = true
	x.out = append(x.out, b...)
}

func (x *inProcessExchange) body(limit int64) ([]byte, error) {
	if int64(len(x.in)) > limit {
		return nil, tooLarge(limit)
	}
	return x.in, nil
}
