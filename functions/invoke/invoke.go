// Package invoke is the Functions host's side of the custom handler
// protocol, for `orderctx funchost`: it builds exactly the request the host
// sends for a batch of change feed documents, delivers it to a handler
// (in-process, or over HTTP to an `orderctx functions` process), and applies
// the function's retry policy around the call. A batch counts as delivered
// only after a 2xx reply, so the caller checkpoints only then.
package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"orderctx/functions/funcapp"
	"orderctx/functions/protocol"
)

// DefaultHostVersion is the host version funchost announces: the major
// version of the Functions runtime whose protocol it speaks.
const DefaultHostVersion = "4.0.0.0"

// Options tune an Invoker. Zero values take defaults.
type Options struct {
	// HostVersion goes into X-Azure-Functions-HostVersion and the
	// User-Agent (default DefaultHostVersion).
	HostVersion string
	// Log receives the reply's Logs (Info, as the host logs them) and one
	// line per failed attempt (Warn). Default: discard.
	Log *slog.Logger
	// Sleep waits between attempts; it returns early with ctx's error.
	// Default: a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1) for exponential backoff's
	// randomization (default math/rand/v2).
	Jitter func() float64
	// Now is the clock of Metadata.sys.UtcNow (default time.Now).
	Now func() time.Time
}

// Invoker delivers batches to one function.
type Invoker struct {
	fn      funcapp.Function
	target  Target
	version string
	agent   string
	log     *slog.Logger
	sleep   func(context.Context, time.Duration) error
	jitter  func() float64
	now     func() time.Time
}

// New returns an Invoker for fn that sends to target.
func New(fn funcapp.Function, target Target, opts Options) *Invoker {
	i := &Invoker{fn: fn, target: target, version: opts.HostVersion, log: opts.Log, sleep: opts.Sleep, jitter: opts.Jitter, now: opts.Now}
	if i.version == "" {
		i.version = DefaultHostVersion
	}
	i.agent = protocol.UserAgentProduct + "/" + i.version
	if i.log == nil {
		i.log = slog.New(slog.DiscardHandler)
	}
	if i.sleep == nil {
		i.sleep = sleep
	}
	if i.jitter == nil {
		i.jitter = rand.Float64
	}
	if i.now == nil {
		i.now = time.Now
	}
	return i
}

// Failure is a failed attempt: the handler's status (0 when no reply came)
// and what it or the transport said.
type Failure struct {
	Function string
	Status   int
	Detail   string
	Err      error
}

func (f *Failure) Error() string {
	if f.Status == 0 {
		return fmt.Sprintf("invoke %s: %v", f.Function, f.Err)
	}
	return fmt.Sprintf("invoke %s: status %d: %s", f.Function, f.Status, f.Detail)
}

func (f *Failure) Unwrap() error { return f.Err }

// Invoke delivers one batch, retrying under the function's policy until an
// attempt succeeds, the retries run out or ctx ends. It returns the
// successful reply, or the last failure (joined with ctx's error when ctx
// ended the retries). Without a policy it makes one attempt.
func (i *Invoker) Invoke(ctx context.Context, docs []json.RawMessage) (*protocol.Reply, error) {
	var rc *protocol.RetryContext
	for {
		reply, err := i.Attempt(ctx, docs, rc)
		if err == nil {
			return reply, nil
		}
		retry := 1
		if rc != nil {
			retry = rc.RetryCount + 1
		}
		p := i.fn.Retry
		if p == nil || (p.MaxRetryCount != funcapp.Forever && retry > p.MaxRetryCount) || ctx.Err() != nil {
			return nil, errors.Join(err, ctx.Err())
		}
		d := Delay(p, retry, i.jitter())
		i.log.Warn("invocation failed; retrying", "function", i.fn.Name, "retry", retry, "in", d, "err", err)
		if serr := i.sleep(ctx, d); serr != nil {
			return nil, errors.Join(err, serr)
		}
		rc = &protocol.RetryContext{RetryCount: retry, MaxRetryCount: p.MaxRetryCount, Exception: exceptionOf(err)}
	}
}

// Attempt makes one invocation, as retry rc of the batch (nil: the first
// attempt). The error is a *Failure unless ctx ended.
func (i *Invoker) Attempt(ctx context.Context, docs []json.RawMessage, rc *protocol.RetryContext) (*protocol.Reply, error) {
	id := newGUID()
	md := protocol.Metadata{Sys: protocol.Sys{MethodName: i.fn.Name, UtcNow: i.now(), RandGuid: newGUID()}, RetryContext: rc}
	buf := bodies.Get().(*[]byte)
	body := protocol.AppendRequest((*buf)[:0], i.fn.Trigger.Name, docs, &md)
	status, reply, err := i.target.send(ctx, &call{function: i.fn.Name, invocationID: id, hostVersion: i.version, userAgent: i.agent, body: body})
	if _, ok := i.target.(inProcess); ok {
		// ServeHTTP has returned, so nothing reads the body any more; an
		// HTTP transport may still be writing it, so that one is not reused.
		*buf = body[:0]
		bodies.Put(buf)
	}
	if err != nil {
		return nil, &Failure{Function: i.fn.Name, Err: err}
	}
	if status < 200 || status > 299 {
		return nil, &Failure{Function: i.fn.Name, Status: status, Detail: detailOf(reply)}
	}
	var r protocol.Reply
	if len(reply) > 0 {
		if err := json.Unmarshal(reply, &r); err != nil {
			// The host fails an invocation whose reply it cannot read.
			return nil, &Failure{Function: i.fn.Name, Status: status, Detail: "the reply is not an invocation result", Err: err}
		}
	}
	for _, line := range r.Logs {
		i.log.Info(line, "function", i.fn.Name, "invocationId", id)
	}
	return &r, nil
}

// bodies recycles the request buffers of in-process calls; the handler
// copies the body out before decoding, so it keeps no reference.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// Delay is the wait before retry number retry (1: the first retry), as the
// WebJobs SDK computes it: fixedDelay waits DelayInterval; exponential
// backoff waits MinimumInterval first, then MinimumInterval plus
// 2^(retry-2) MinimumIntervals scaled by a random factor in [0.8, 1.2)
// (jitter in [0, 1) picks it), never more than MaximumInterval.
func Delay(p *funcapp.RetryPolicy, retry int, jitter float64) time.Duration {
	if p.Strategy == funcapp.FixedDelay {
		return p.DelayInterval
	}
	if retry <= 1 {
		return p.MinimumInterval
	}
	min, max := float64(p.MinimumInterval), float64(p.MaximumInterval)
	d := min + (0.8+0.4*jitter)*min*pow2(retry-2)
	if d >= max {
		return p.MaximumInterval
	}
	return time.Duration(d)
}

func pow2(n int) float64 {
	if n > 1023 {
		n = 1023
	}
	f := 1.0
	for range n {
		f *= 2
	}
	return f
}

// exceptionOf describes a failed attempt the way the host's RetryContext
// does: the .NET exception the failure raised in the host.
func exceptionOf(err error) *protocol.Exception {
	e := &protocol.Exception{ClassName: "System.Net.Http.HttpRequestException", Source: "System.Net.Http"}
	var f *Failure
	if errors.As(err, &f) && f.Status != 0 {
		e.Message = "Response status code does not indicate success: " + strconv.Itoa(f.Status) + " (" + http.StatusText(f.Status) + ")."
	} else {
		e.Message = err.Error()
	}
	return e
}

// detailOf is the problem detail of an error reply, or its first bytes.
func detailOf(reply []byte) string {
	var p struct {
		Title, Detail string
	}
	if json.Unmarshal(reply, &p) == nil && (p.Title != "" || p.Detail != "") {
		return p.Title + ": " + p.Detail
	}
	if len(reply) > 200 {
		reply = reply[:200]
	}
	return string(reply)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newGUID returns a random version 4 GUID. Invocation ids need to be
// unique, not secret, so math/rand/v2 serves.
func newGUID() string {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for k := range 8 {
		b[k], b[8+k] = byte(hi>>(8*k)), byte(lo>>(8*k))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	j := 0
	for k, c := range b {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(s[:])
}

const hexDigits = "0123456789abcdef"
