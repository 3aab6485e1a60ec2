package systembench

import (
	"strconv"
	"sync"
	"time"
)

// recorder collects every answer: latency by kind, status counts, the
// request charge of commands, and per-second counts for the timeline.
type recorder struct {
	start time.Time

	mu         sync.Mutex
	lat        map[string][]time.Duration // wanted answers, by kind
	accepted   int                        // commands answered 2xx
	reads      int                        // reads answered 200
	commands   int                        // commands sent
	errors     map[string]int             // by status ("transport": no answer)
	unexpected map[string]int             // "kind: status" other than wanted
	charge     float64                    // X-Request-Charge of every command's answer
	perSecond  []secondCounts
}

// secondCounts are one second's answers.
type secondCounts struct{ accepted, reads int }

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, lat: map[string][]time.Duration{}, errors: map[string]int{}, unexpected: map[string]int{}}
}

// record notes one answer (status 0: the request failed without one).
func (r *recorder) record(s *step, status int, d time.Duration, charge float64, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !s.read {
		r.commands++
		r.charge += charge
	}
	switch {
	case status == 0:
		r.errors["transport"]++
	case status >= 400:
		r.errors[strconv.Itoa(status)]++
	}
	if status != s.want {
		r.unexpected[s.kind+": "+statusName(status)]++
		return
	}
	r.lat[s.kind] = append(r.lat[s.kind], d)
	sec := r.second(at)
	switch {
	case s.kind == kindReference: // not a read of the product's
	case s.read:
		r.reads++
		sec.reads++
	case status < 300:
		r.accepted++
		sec.accepted++
	}
}

// second is the timeline's bucket of at, grown as needed.
func (r *recorder) second(at time.Time) *secondCounts {
	i := int(at.Sub(r.start) / time.Second)
	for len(r.perSecond) <= i {
		r.perSecond = append(r.perSecond, secondCounts{})
	}
	return &r.perSecond[i]
}

// counts returns the totals so far, for the progress line.
func (r *recorder) counts() (commands, accepted, reads, errors int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.errors {
		errors += n
	}
	return r.commands, r.accepted, r.reads, errors
}

func statusName(status int) string {
	if status == 0 {
		return "transport"
	}
	return strconv.Itoa(status)
}
