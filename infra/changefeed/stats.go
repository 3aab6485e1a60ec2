package changefeed

import (
	"encoding/json"
	"sort"
	"sync"
	"time"
)

// Stats is a report of a processor: every lease of its prefix as last listed,
// with live figures for the leases this instance holds.
type Stats struct {
	Owner  string
	Leases []LeaseStats
}

// LeaseStats describes one lease.
type LeaseStats struct {
	LeaseToken string
	Owner      string
	// Held says this instance is processing the lease; the figures below are
	// known only then.
	Held bool
	// Continuation is the checkpoint stored in the lease.
	Continuation string
	// Processed counts documents the handler accepted since this instance
	// took the lease.
	Processed int64
	// EventsPerSecond is the rate of accepted documents over the last
	// rateWindow.
	EventsPerSecond float64
	// LagEvents estimates the documents not yet processed: the range's
	// session LSN minus the _lsn of the last processed document (an upper
	// bound where LSNs count changes of other ranges too, as on the embedded
	// server); 0 once a read found nothing new.
	LagEvents int64
	// LagSeconds is now minus the _ts of the newest document delivered, while
	// the range is behind; 0 once a read found nothing new or the session
	// LSN showed nothing after the last document.
	LagSeconds float64
	// Failures counts handler errors and failed reads since the last success.
	Failures int
	// CaughtUpAt is when a read of the range last found nothing new, with
	// nothing delivered since; zero while the range has work in hand. Every
	// change made before it has been processed: a caller that must know the
	// feed was drained after some moment (a rebuild switching over) waits
	// until it is later than that moment.
	CaughtUpAt time.Time
}

// rateWindow is the span EventsPerSecond averages over.
const rateWindow = 10 * time.Second

// leaseCounters are the live figures of one held lease.
type leaseCounters struct {
	mu         sync.Mutex
	processed  int64
	caughtUp   bool
	caughtAt   time.Time
	lastLSN    uint64
	sessionLSN uint64
	lastTS     int64
	failures   int
	rate       rateMeter
}

// docMeta is the part of a document the lag estimate needs.
type docMeta struct {
	LSN uint64 `json:"_lsn"`
	TS  int64  `json:"_ts"`
}

// delivered records a batch the handler accepted.
func (c *leaseCounters) delivered(now time.Time, docs []json.RawMessage, session uint64) {
	var last docMeta
	_ = json.Unmarshal(docs[len(docs)-1], &last)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.processed += int64(len(docs))
	c.rate.add(now, len(docs))
	c.lastLSN, c.lastTS, c.sessionLSN = last.LSN, last.TS, session
	c.caughtUp, c.caughtAt, c.failures = false, time.Time{}, 0
}

// idle records a read, started at readAt, that found nothing new.
func (c *leaseCounters) idle(readAt time.Time) {
	c.mu.Lock()
	c.caughtUp, c.caughtAt, c.failures = true, readAt, 0
	c.mu.Unlock()
}

// failed records a failed read or handler call.
func (c *leaseCounters) failed() {
	c.mu.Lock()
	c.failures++
	c.mu.Unlock()
}

// fill copies the live figures into s.
func (c *leaseCounters) fill(now time.Time, s *LeaseStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Processed, s.Failures, s.CaughtUpAt = c.processed, c.failures, c.caughtAt
	s.EventsPerSecond = c.rate.perSecond(now)
	if c.caughtUp || c.lastTS == 0 || c.sessionLSN <= c.lastLSN {
		return
	}
	s.LagEvents = int64(c.sessionLSN - c.lastLSN)
	s.LagSeconds = max(0, now.Sub(time.Unix(c.lastTS, 0)).Seconds())
}

// rateMeter counts events in one-second buckets over rateWindow.
type rateMeter struct {
	buckets [10]int64
	seconds [10]int64 // the unix second each bucket counts
}

func (m *rateMeter) add(now time.Time, n int) {
	sec := now.Unix()
	i := sec % int64(len(m.buckets))
	if m.seconds[i] != sec {
		m.seconds[i], m.buckets[i] = sec, 0
	}
	m.buckets[i] += int64(n)
}

func (m *rateMeter) perSecond(now time.Time) float64 {
	sec, total := now.Unix(), int64(0)
	for i, s := range m.seconds {
		if s > sec-int64(len(m.buckets)) && s <= sec {
			total += m.buckets[i]
		}
	}
	return float64(total) / rateWindow.Seconds()
}

// sortLeaseStats orders a report by lease token.
func sortLeaseStats(ls []LeaseStats) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].LeaseToken < ls[j].LeaseToken })
}
