package functions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"orderctx/functions/funcapp"
	"orderctx/functions/protocol"
)

// Options tune the handler. Zero values take defaults.
type Options struct {
	// Limits bound each request (protocol.Limits' defaults).
	Limits protocol.Limits
	// Log receives one line per failed invocation (and per success at
	// Debug); default: discard.
	Log *slog.Logger
}

// Handler serves the custom handler protocol for an app's functions. It is
// safe for concurrent use: the host invokes different leases in parallel.
type Handler struct {
	routes map[string]*route
	lim    protocol.Limits
	log    *slog.Logger
}

// route is one function: its name, trigger binding and consumer.
type route struct {
	name, binding string
	consumer      Consumer
}

// NewHandler routes every function of app to its consumer. It refuses a
// function without a consumer and a consumer without a function, listing
// every mismatch.
func NewHandler(app *funcapp.App, consumers map[string]Consumer, opts Options) (*Handler, error) {
	h := &Handler{routes: map[string]*route{}, lim: opts.Limits.WithDefaults(), log: opts.Log}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	for _, fn := range app.Functions {
		c := consumers[fn.Name]
		if c == nil {
			errs = append(errs, fmt.Errorf("function %s has no consumer registered", fn.Name))
			continue
		}
		h.routes[strings.ToLower(fn.Name)] = &route{name: fn.Name, binding: fn.Trigger.Name, consumer: c}
	}
	for name := range consumers {
		if fn := app.Function(name); fn == nil || fn.Name != name {
			errs = append(errs, fmt.Errorf("consumer %s has no function folder %s/%s", name, name, funcapp.FunctionFile))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return h, nil
}

// ServeHTTP answers the host: any GET or HEAD is the readiness probe
// (200), POST /<FunctionName> is an invocation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ready"}`)
		return
	case http.MethodPost:
	default:
		writeProblem(w, problemFor(errMethod))
		return
	}
	rt := h.routes[strings.ToLower(strings.Trim(r.URL.Path, "/"))]
	if rt == nil {
		writeProblem(w, problemFor(errNotFound))
		return
	}
	h.invoke(w, r, rt)
}

// invoke runs one invocation and writes its reply.
func (h *Handler) invoke(w http.ResponseWriter, r *http.Request, rt *route) {
	start := time.Now()
	inv := &Invocation{ID: r.Header.Get(protocol.HeaderInvocationID), Function: rt.name, HostVersion: r.Header.Get(protocol.HeaderHostVersion)}
	res, n, err := h.run(r, rt, inv)
	if err != nil {
		p := problemFor(err)
		p.InvocationID = inv.ID
		h.log.Warn("invocation failed", "invocation", inv, "documents", n, "status", p.Status, "err", err)
		writeProblem(w, p)
		return
	}
	h.log.Debug("invocation done", "invocation", inv, "documents", n, "elapsed", time.Since(start))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(protocol.AppendReply(make([]byte, 0, 64), res.Logs))
}

// run reads, decodes and hands the batch to the consumer; n is the number
// of documents.
func (h *Handler) run(r *http.Request, rt *route, inv *Invocation) (res Result, n int, err error) {
	body, err := readBody(r, h.lim.MaxBodyBytes)
	if err != nil {
		return Result{}, 0, err
	}
	req, err := protocol.DecodeRequest(body, rt.binding, h.lim)
	if err != nil {
		return Result{}, 0, err
	}
	if req.MetadataErr != nil {
		h.log.Warn("invocation metadata unreadable; processing the documents anyway", "invocation", inv, "err", req.MetadataErr)
	}
	inv.Metadata = req.Metadata
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("consumer panicked", "invocation", inv, "panic", p, "stack", string(debug.Stack()))
			err = &consumerError{fmt.Errorf("panic: %v", p)}
		}
	}()
	res, err = rt.consumer.Handle(withInvocation(r.Context(), inv), req.Documents)
	if err != nil {
		return Result{}, len(req.Documents), &consumerError{err}
	}
	return res, len(req.Documents), nil
}

// readBody reads the whole body, refusing more than limit bytes. With a
// Content-Length it allocates once.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	tooLarge := &protocol.DecodeError{Rule: protocol.RuleTooLarge, Message: fmt.Sprintf("the body exceeds %d bytes", limit)}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	if r.ContentLength >= 0 {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, &protocol.DecodeError{Rule: protocol.RuleMalformed, Message: "reading the body: " + err.Error()}
		}
		return buf, nil
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1)); err != nil {
		return nil, &protocol.DecodeError{Rule: protocol.RuleMalformed, Message: "reading the body: " + err.Error()}
	}
	if int64(buf.Len()) > limit {
		return nil, tooLarge
	}
	return buf.Bytes(), nil
}

// isCancellation tells whether a consumer stopped because its context
// ended (the handler is shutting down or the host gave up the call).
func isCancellation(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
