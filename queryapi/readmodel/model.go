// Package readmodel keeps every order's view in memory with the indexes the
// query API serves from: by id, by placed date, by total, by status (placed
// date and total within each status) and by buyer. One goroutine applies
// changes (from the views change feed); any number of readers query at the
// same time and always see the indexes consistent with each other, because
// a batch of changes is applied under one write lock and views themselves
// never change.
//
// Memory is accounted per view (its document plus a measured fixed cost)
// and capped: a change that would exceed the cap is refused with ErrFull,
// and the model stays full until the process restarts with a larger cap.
package readmodel

import (
	"errors"
	"fmt"
	"sync"

	"github.com/google/btree"
)

// DefaultMaxBytes is the memory cap of a model when Options.MaxBytes is 0.
const DefaultMaxBytes = 1 << 30

// ViewOverhead is the memory a view costs beyond its document and strings:
// the View itself (160 bytes), its map entry, its five index entries and
// its share of the statistics. Measured (262 bytes with 50,000 views) by
// TestViewOverheadIsMeasured, which keeps it honest; see docs/query-api.md.
const ViewOverhead = 280

// btreeDegree is the fan-out of the indexes: wide nodes keep them shallow
// and cheap in pointers.
const btreeDegree = 32

// ErrFull is wrapped by the error of a change that would take the model
// above its memory cap.
var ErrFull = errors.New("the read model reached its memory cap")

// Options tune a model; the zero value takes every default.
type Options struct {
	// MaxBytes caps the accounted memory of all views (ViewOverhead plus the
	// document and strings of each).
	MaxBytes int64
}

// Model is the in-memory read model of all orders.
type Model struct {
	maxBytes int64

	mu       sync.RWMutex
	byID     map[string]*View
	all      sortedViews
	byStatus map[string]*sortedViews
	byBuyer  *btree.BTreeG[*View] // buyer, then placed date, then id
	stats    map[statsKey]*bucket
	seq      uint64
	bytes    int64
	full     error

	waiters waitList
}

// sortedViews holds one set of views in the two sort orders queries use.
type sortedViews struct {
	placed *btree.BTreeG[*View] // placed date, then id
	total  *btree.BTreeG[*View] // total, then id
}

func newSortedViews() *sortedViews {
	return &sortedViews{placed: btree.NewG(btreeDegree, lessPlaced), total: btree.NewG(btreeDegree, lessTotal)}
}

func lessPlaced(a, b *View) bool {
	if a.placedKey != b.placedKey {
		return a.placedKey < b.placedKey
	}
	return a.ID < b.ID
}

func lessTotal(a, b *View) bool {
	if a.Total != b.Total {
		return a.Total < b.Total
	}
	return a.ID < b.ID
}

func lessBuyer(a, b *View) bool {
	if a.BuyerID != b.BuyerID {
		return a.BuyerID < b.BuyerID
	}
	return lessPlaced(a, b)
}

// New returns an empty model.
func New(opts Options) *Model {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Model{
		maxBytes: opts.MaxBytes,
		byID:     make(map[string]*View),
		all:      *newSortedViews(),
		byStatus: make(map[string]*sortedViews),
		byBuyer:  btree.NewG(btreeDegree, lessBuyer),
		stats:    make(map[statsKey]*bucket),
		waiters:  waitList{byID: make(map[string]*waiter)},
	}
}

// Apply applies views in order under one lock and returns those it applied,
// each stamped with the next position (Seq). A view older than the one held
// for its order is skipped (a later copy already won); an equal version
// replaces it (a rewrite by the projector). When a view would take the model
// above its cap, Apply stops there and returns the views applied so far with
// an error wrapping ErrFull; every later Apply fails the same way.
func (m *Model) Apply(views []*View) ([]*View, error) {
	applied := make([]*View, 0, len(views))
	m.mu.Lock()
	err := m.full
	for _, v := range views {
		if err != nil {
			break
		}
		old := m.byID[v.ID]
		if old != nil && v.Version < old.Version {
			continue
		}
		grow := size(v) - size(old)
		if m.bytes+grow > m.maxBytes {
			m.full = fmt.Errorf("%w: %d orders take %d bytes; order %s needs %d more, above the cap of %d bytes",
				ErrFull, len(m.byID), m.bytes, v.ID, grow, m.maxBytes)
			err = m.full
			break
		}
		m.seq++
		v.Seq = m.seq
		m.replace(old, v)
		m.bytes += grow
		applied = append(applied, v)
	}
	m.mu.Unlock()
	m.waiters.notify(applied)
	return applied, err
}

// size is the accounted memory of a view.
func size(v *View) int64 {
	if v == nil {
		return 0
	}
	return ViewOverhead + int64(cap(v.Doc)+len(v.ID)+len(v.BuyerID)+len(v.ETag))
}

// replace puts v in place of old (nil for a new order) in every index.
func (m *Model) replace(old, v *View) {
	m.byID[v.ID] = v
	m.all.replace(old, v)
	sameStatus := old
	if old != nil && old.Status != v.Status {
		m.byStatus[old.Status].remove(old)
		sameStatus = nil
	}
	st := m.byStatus[v.Status]
	if st == nil {
		st = newSortedViews()
		m.byStatus[v.Status] = st
	}
	st.replace(sameStatus, v)
	replaceIn(m.byBuyer, old, v, old != nil && old.BuyerID == v.BuyerID && old.placedKey == v.placedKey)
	m.countStats(old, v)
}

func (s *sortedViews) replace(old, v *View) {
	replaceIn(s.placed, old, v, old != nil && old.placedKey == v.placedKey)
	replaceIn(s.total, old, v, old != nil && old.Total == v.Total)
}

func (s *sortedViews) remove(v *View) {
	s.placed.Delete(v)
	s.total.Delete(v)
}

// replaceIn swaps old for v in one index. With the same sort key v lands on
// old's slot; otherwise old is removed first.
func replaceIn(t *btree.BTreeG[*View], old, v *View, sameKey bool) {
	if old != nil && !sameKey {
		t.Delete(old)
	}
	t.ReplaceOrInsert(v)
}

// Get returns the view of an order.
func (m *Model) Get(id string) (*View, bool) {
	m.mu.RLock()
	v, ok := m.byID[id]
	m.mu.RUnlock()
	return v, ok
}

// Err returns the error that made the model full, or nil.
func (m *Model) Err() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.full
}

// Usage reports the number of orders, their accounted bytes and the cap.
func (m *Model) Usage() (orders int, bytes, maxBytes int64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.byID), m.bytes, m.maxBytes
}

// Seq returns the position of the last applied change.
func (m *Model) Seq() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.seq
}
