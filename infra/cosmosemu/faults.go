package cosmosemu

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// Fault is one fault-injection rule. A request matches when its method and
// path match; a matching rule fires with probability Rate (1 when 0) and at
// most Count times (unlimited when 0). Firing adds Latency and, when Status is
// set, answers that status instead of serving the request, or, with After,
// serves the request and then answers that status instead of its answer: a
// timeout or failure after the work was done, which the client cannot tell
// from one that did nothing (as a real 408 can be).
type Fault struct {
	Method       string // empty: any
	PathContains string // empty: any
	// Header, when set, must be present on the request (e.g. "x-ms-cosmos-is-batch-request").
	Header     string
	Rate       float64
	Count      int
	Latency    time.Duration
	Status     int // 429, 503, 408, 410...
	SubStatus  int // e.g. 1002 (partition key range gone) with 410
	RetryAfter time.Duration
	After      bool

	fired int
}

// Faults holds the active rules. The zero value has none.
type Faults struct {
	mu       sync.Mutex
	rules    []*Fault
	injected int          // rules fired since the server started, cleared or not
	n        atomic.Int32 // number of rules, read without the lock on the hot path
}

// Add activates a rule.
func (f *Faults) Add(rule Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := rule
	f.rules = append(f.rules, &r)
	f.n.Store(int32(len(f.rules)))
}

// Clear removes every rule.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	f.n.Store(0)
}

// Fired reports how many times rules have fired in total.
func (f *Faults) Fired() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.rules {
		n += r.fired
	}
	return n
}

// Injected reports how many times rules have fired since the server
// started, including rules cleared since.
func (f *Faults) Injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected
}

func (f *Faults) match(req *request) *Fault {
	if f.n.Load() == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rule := range f.rules {
		if rule.Method != "" && !strings.EqualFold(rule.Method, req.method) {
			continue
		}
		if rule.PathContains != "" && !strings.Contains(req.path, rule.PathContains) {
			continue
		}
		if rule.Header != "" && req.header(rule.Header) == "" {
			continue
		}
		if rule.Count > 0 && rule.fired >= rule.Count {
			continue
		}
		if rule.Rate > 0 && rand.Float64() >= rule.Rate {
			continue
		}
		rule.fired++
		f.injected++
		c := *rule
		return &c
	}
	return nil
}

// apply performs a fired rule: it waits out the latency, then returns the
// failure to answer instead of serving the request, or nil to serve it
// (a rule with After fails the answer later, see answerAfter).
func (rule *Fault) apply(req *request) error {
	if rule.Latency > 0 {
		select {
		case <-time.After(rule.Latency):
		case <-req.x.context().Done():
		}
	}
	if rule.Status == 0 || rule.After {
		return nil
	}
	return rule.failure(req)
}

// answerAfter says whether the rule fails the answer of a served request.
func (rule *Fault) answerAfter() bool { return rule != nil && rule.After && rule.Status != 0 }

// failure is the rule's status as a store error (with the retry-after of a 429).
func (rule *Fault) failure(req *request) error {
	if rule.Status == http.StatusTooManyRequests {
		ra := rule.RetryAfter
		if ra <= 0 {
			ra = 10 * time.Millisecond
		}
		req.setHeader("X-Ms-Retry-After-Ms", strconv.FormatInt(ra.Milliseconds(), 10))
	}
	return &store.Error{Status: rule.Status, SubStatus: rule.SubStatus, Code: http.StatusText(rule.Status),
		Message: "Injected fault: " + http.StatusText(rule.Status)}
}

// mutedExchange drops the answer of a request served under an After rule;
// the rule's failure is answered instead.
type mutedExchange struct{ exchange }

func (mutedExchange) setHeader(string, string) {}
func (mutedExchange) writeHeader(int)          {}
func (mutedExchange) write([]byte)             {}

// serveThenFail serves req with its answer dropped, then returns the rule's
// failure to answer instead.
func (s *Server) serveThenFail(req *request, rule *Fault) error {
	x := req.x
	req.x = mutedExchange{x}
	_ = s.route(req) // the work is done; its answer, success or not, is lost
	req.x = x
	return rule.failure(req)
}
