package parking

import (
	"context"
	"sync"
	"time"
)

// DefaultRecheck is how long a consumer trusts that nothing is parked for it
// before it asks the store again (Config.Recheck).
const DefaultRecheck = time.Second

// vacancy is what one consumer knows about its own partition of the
// deadletters container: that no letter there holds a stream back, so a
// batch needs no lookup of its streams' parked versions.
//
// It is only as good as the host's signals: letters of a feed range's
// streams are written by the instance that holds the range's lease, so the
// knowledge is dropped whenever this instance acquires a lease (a range that
// another instance may have parked events of) and whenever it parks an event
// itself. Letters written by anything else (a rebuild's projector, an
// operator) are seen at the next recheck, at most Recheck later.
type vacancy struct {
	recheck time.Duration
	mu      sync.Mutex
	// gen counts the events that invalidate a check in flight: a check
	// started before one of them does not record its answer.
	gen       uint64
	state     vacancyState
	checkedAt time.Time
}

type vacancyState int

const (
	unknown  vacancyState = iota // ask the store whether anything is parked
	vacant                       // nothing holds a stream back: skip the lookup
	occupied                     // something may: look the batch's streams up
)

// forget drops what is known: the next batch asks the store again.
func (v *vacancy) forget() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	v.state = unknown
}

// occupy records that this consumer is about to park events: every batch
// looks its streams up until the next check finds the partition vacant.
func (v *vacancy) occupy(now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	v.state, v.checkedAt = occupied, now
}

// current returns what is known at now and the generation it belongs to;
// unknown once the last check is older than the recheck interval.
func (v *vacancy) current(now time.Time) (vacancyState, uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.state != unknown && now.Sub(v.checkedAt) >= v.recheck {
		v.state = unknown
	}
	return v.state, v.gen
}

// learn records the answer of a check started at generation gen, unless
// something invalidated it meanwhile.
func (v *vacancy) learn(gen uint64, parked bool, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.gen != gen {
		return
	}
	v.state, v.checkedAt = vacant, now
	if parked {
		v.state = occupied
	}
}

// needsLookup says whether the batch must look up its streams' parked
// versions: always without a vacancy, else unless the consumer's partition
// is known (or now found) to hold nothing that blocks a stream.
func (c *Consumer) needsLookup(ctx context.Context) (bool, error) {
	v := c.vacancy
	if v == nil {
		return true, nil
	}
	state, gen := v.current(c.cfg.Clock.Now())
	if state != unknown {
		return state == occupied, nil
	}
	parked, err := c.cfg.Store.AnyParked(ctx, c.cfg.Consumer)
	if err != nil {
		return false, err
	}
	v.learn(gen, parked, c.cfg.Clock.Now())
	return parked, nil
}

// LeaseAcquired tells a consumer with Config.RememberVacancy that its host
// has acquired a lease: another instance may have parked events of that
// range's streams, so the next batch asks the store again. Without
// RememberVacancy it does nothing.
func (c *Consumer) LeaseAcquired() {
	if c.vacancy != nil {
		c.vacancy.forget()
	}
}
