package cosmosemu

import (
	"context"
	"io"
	"net/http"

	"github.com/valyala/fasthttp"
)

// exchange is one HTTP request and its response, whichever server carries
// it: net/http (in-process use, http.Handler) or fasthttp (the listener,
// which costs less CPU per request).
type exchange interface {
	method() string
	escapedPath() string
	header(name string) string
	body(limit int64) ([]byte, error)
	contentLength() int64
	host() string
	isTLS() bool
	context() context.Context
	// setHeader sets a response header; name is in canonical form.
	setHeader(name, value string)
	writeHeader(status int)
	write(b []byte)
}

// Methods of request delegate to its exchange so handlers read naturally.
func (req *request) header(name string) string { return req.x.header(name) }

func (req *request) body(limit int64) ([]byte, error) { return req.x.body(limit) }

func (req *request) setHeader(name, value string) { req.x.setHeader(name, value) }

func (req *request) writeHeader(status int) { req.x.writeHeader(status) }

func (req *request) write(b []byte) { req.x.write(b) }

// stdExchange carries a net/http request.
type stdExchange struct {
	w http.ResponseWriter
	r *http.Request
}

func (x stdExchange) method() string               { return x.r.Method }
func (x stdExchange) escapedPath() string          { return x.r.URL.EscapedPath() }
func (x stdExchange) header(name string) string    { return x.r.Header.Get(name) }
func (x stdExchange) contentLength() int64         { return x.r.ContentLength }
func (x stdExchange) host() string                 { return x.r.Host }
func (x stdExchange) isTLS() bool                  { return x.r.TLS != nil }
func (x stdExchange) context() context.Context     { return x.r.Context() }
func (x stdExchange) setHeader(name, value string) { x.w.Header()[name] = []string{value} }
func (x stdExchange) writeHeader(status int)       { x.w.WriteHeader(status) }
func (x stdExchange) write(b []byte)               { _, _ = x.w.Write(b) }

func (x stdExchange) body(limit int64) ([]byte, error) {
	if x.r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(x.r.Body, limit+1))
	if err != nil {
		return nil, badRequest("The request body could not be read: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	return b, nil
}

// fastExchange carries a fasthttp request.
type fastExchange struct {
	ctx *fasthttp.RequestCtx
}

func (x fastExchange) method() string      { return string(x.ctx.Method()) }
func (x fastExchange) escapedPath() string { return string(x.ctx.Request.URI().PathOriginal()) }
func (x fastExchange) header(name string) string {
	return string(x.ctx.Request.Header.Peek(name))
}
func (x fastExchange) contentLength() int64     { return int64(x.ctx.Request.Header.ContentLength()) }
func (x fastExchange) host() string             { return string(x.ctx.Host()) }
func (x fastExchange) isTLS() bool              { return x.ctx.IsTLS() }
func (x fastExchange) context() context.Context { return x.ctx }
func (x fastExchange) setHeader(name, value string) {
	if name == "Content-Length" {
		return // fasthttp sets it from the body
	}
	x.ctx.Response.Header.Set(name, value)
}
func (x fastExchange) writeHeader(status int) { x.ctx.SetStatusCode(status) }
func (x fastExchange) write(b []byte)         { _, _ = x.ctx.Write(b) }

func (x fastExchange) body(limit int64) ([]byte, error) {
	b := x.ctx.Request.Body()
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	return b, nil
}

// serveFast is the fasthttp entry point.
func (s *Server) serveFast(ctx *fasthttp.RequestCtx) {
	s.serve(fastExchange{ctx})
}
