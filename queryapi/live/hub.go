// Package live fans changes out to subscribers (the query API's server-sent
// events): every change has a position, the newest ones are kept in a
// bounded ring so a subscriber that reconnects resumes where it stopped, the
// number of subscribers is bounded, and a subscriber that cannot keep up is
// dropped instead of slowing the publisher or growing without bound.
//
// Positions are per instance: "<epoch>-<seq>", where the epoch is random per
// Hub. A position from another instance or an earlier run of this one, or
// one older than the ring, cannot be resumed; the subscriber is told to
// reset (reload its state) and continues from the newest position.
package live

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
)

// Defaults of Options.
const (
	DefaultRingSize       = 10000
	DefaultMaxSubscribers = 256
	DefaultBuffer         = 1024
)

// ErrTooManySubscribers is returned by Subscribe when the hub is full.
var ErrTooManySubscribers = errors.New("too many live subscribers")

// Options bound a hub; zero fields take the defaults.
type Options struct {
	// RingSize is how many of the newest changes are kept for resuming.
	RingSize int
	// MaxSubscribers bounds the subscribers at any time.
	MaxSubscribers int
	// Buffer is how many changes may wait for one subscriber before it is
	// dropped as too slow.
	Buffer int
}

// Change is one published change: its position in this hub and its data.
type Change struct {
	Seq  uint64
	Data []byte
}

// Hub publishes changes to subscribers.
type Hub struct {
	epoch string
	opts  Options

	mu   sync.Mutex
	ring []Change // circular, newest at (next-1)
	next int
	full bool
	head uint64 // seq of the newest published change
	subs map[*Subscription]struct{}
}

// New returns a hub with a fresh random epoch.
func New(opts Options) *Hub {
	if opts.RingSize <= 0 {
		opts.RingSize = DefaultRingSize
	}
	if opts.MaxSubscribers <= 0 {
		opts.MaxSubscribers = DefaultMaxSubscribers
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Hub{epoch: hex.EncodeToString(b[:]), opts: opts, ring: make([]Change, opts.RingSize), subs: make(map[*Subscription]struct{})}
}

// ID is the resumable position of a change, as sent in an event's id.
func (h *Hub) ID(seq uint64) string { return h.epoch + "-" + strconv.FormatUint(seq, 10) }

// Publish records changes (in increasing Seq) and hands them to every
// subscriber; a subscriber whose buffer is full is dropped.
func (h *Hub) Publish(changes []Change) {
	if len(changes) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range changes {
		h.ring[h.next] = c
		h.next = (h.next + 1) % len(h.ring)
		h.full = h.full || h.next == 0
		h.head = c.Seq
		for s := range h.subs {
			select {
			case s.c <- c:
			default:
				h.drop(s, "the subscriber did not keep up: "+strconv.Itoa(h.opts.Buffer)+" changes were waiting for it")
			}
		}
	}
}

// Subscription is one subscriber's stream: first Replay (changes it missed,
// when it resumed), then changes from C. When Reset is set, the position it
// asked for could not be resumed: it must reload its state; its stream
// continues from Head. Dropped is closed when the hub gives up on it, with
// Reason saying why.
type Subscription struct {
	Replay  []Change
	Reset   string
	Head    string
	C       <-chan Change
	Dropped <-chan struct{}

	c       chan Change
	dropped chan struct{}
	reason  string
}

// Reason says why the subscription was dropped.
func (s *Subscription) Reason() string {
	<-s.dropped
	return s.reason
}

// Subscribe starts a subscription after the position lastID ("" for only
// new changes). It returns ErrTooManySubscribers when the hub is full.
func (h *Hub) Subscribe(lastID string) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) >= h.opts.MaxSubscribers {
		return nil, ErrTooManySubscribers
	}
	c, dropped := make(chan Change, h.opts.Buffer), make(chan struct{})
	s := &Subscription{C: c, Dropped: dropped, c: c, dropped: dropped, Head: h.ID(h.head)}
	if lastID != "" {
		s.Replay, s.Reset = h.since(lastID)
	}
	h.subs[s] = struct{}{}
	return s, nil
}

// since returns the changes after position id, or why it cannot be resumed.
func (h *Hub) since(id string) ([]Change, string) {
	epoch, seqText, ok := strings.Cut(id, "-")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	switch {
	case !ok || err != nil:
		return nil, "the position " + strconv.Quote(id) + " is not one this server issued"
	case epoch != h.epoch:
		return nil, "the position is from another server instance or an earlier run; positions are per instance"
	case seq > h.head:
		return nil, "the position is ahead of this server's newest change"
	}
	oldest := h.oldest()
	if seq+1 < oldest {
		return nil, "the position is older than the " + strconv.Itoa(len(h.ring)) + " changes kept for resuming"
	}
	out := make([]Change, 0, h.head-seq)
	for i := 0; i < h.count(); i++ {
		c := h.ring[(h.first()+i)%len(h.ring)]
		if c.Seq > seq {
			out = append(out, c)
		}
	}
	return out, ""
}

// count, first and oldest describe the ring's content.
func (h *Hub) count() int {
	if h.full {
		return len(h.ring)
	}
	return h.next
}

func (h *Hub) first() int {
	if h.full {
		return h.next
	}
	return 0
}

func (h *Hub) oldest() uint64 {
	if h.count() == 0 {
		return h.head + 1
	}
	return h.ring[h.first()].Seq
}

// Unsubscribe ends a subscription (idempotent).
func (h *Hub) Unsubscribe(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
	}
}

// drop removes a subscriber and tells it why; the caller holds h.mu.
func (h *Hub) drop(s *Subscription, reason string) {
	delete(h.subs, s)
	s.reason = reason
	close(s.dropped)
}

// Close drops every subscriber with the reason given (server shutdown).
func (h *Hub) Close(reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		h.drop(s, reason)
	}
}

// Subscribers returns the current number of subscribers.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
