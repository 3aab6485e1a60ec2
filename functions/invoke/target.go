package invoke

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"orderctx/functions/protocol"
)

// Target is where invocations go: a handler in this process (InProcess) or
// a handler process at a URL (HTTP).
type Target interface {
	send(ctx context.Context, c *call) (status int, reply []byte, err error)
}

// call is one invocation request.
type call struct {
	function, invocationID, hostVersion, userAgent string
	body                                           []byte
}

// maxReply bounds what is read of a reply: a handler answers with log
// lines, not data.
const maxReply = 4 << 20

// InProcess calls h.ServeHTTP directly with an in-memory request and
// response: no socket, no copy of the body beyond the handler's own.
func InProcess(h http.Handler) Target { return inProcess{h} }

type inProcess struct{ h http.Handler }

func (t inProcess) send(ctx context.Context, c *call) (int, []byte, error) {
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: "/" + c.function},
		RequestURI:    "/" + c.function,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        c.header(),
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Host:          "127.0.0.1",
		RemoteAddr:    "127.0.0.1:0",
	}
	w := &recorder{status: http.StatusOK}
	t.h.ServeHTTP(w, req.WithContext(ctx))
	return w.status, w.body, nil
}

// Canonical forms of the protocol's header names, for literal maps.
var (
	headerInvocationID = http.CanonicalHeaderKey(protocol.HeaderInvocationID)
	headerHostVersion  = http.CanonicalHeaderKey(protocol.HeaderHostVersion)
)

func (c *call) header() http.Header {
	return http.Header{
		"Content-Type":     {"application/json; charset=utf-8"},
		headerInvocationID: {c.invocationID},
		headerHostVersion:  {c.hostVersion},
		"User-Agent":       {c.userAgent},
	}
}

// recorder is the smallest http.ResponseWriter: status and body.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        []byte
}

func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	if len(r.body)+len(b) > maxReply {
		return 0, fmt.Errorf("reply exceeds %d bytes", maxReply)
	}
	r.body = append(r.body, b...)
	return len(b), nil
}

// HTTP posts to a handler process at baseURL ("http://127.0.0.1:<port>"),
// as the host does. client nil: a client without redirects or cookies.
func HTTP(baseURL string, client *http.Client) Target {
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return httpTarget{base: strings.TrimRight(baseURL, "/"), client: client}
}

type httpTarget struct {
	base   string
	client *http.Client
}

func (t httpTarget) send(ctx context.Context, c *call) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/"+c.function, bytes.NewReader(c.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = c.header()
	req.ContentLength = int64(len(c.body))
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return 0, nil, err
	}
	if len(reply) > maxReply {
		return 0, nil, fmt.Errorf("reply exceeds %d bytes", maxReply)
	}
	return resp.StatusCode, reply, nil
}
