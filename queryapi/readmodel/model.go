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
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/btree"
)

// DefaultMaxBytes is the memory cap of a model when Options.MaxBytes is 0.
const DefaultMaxBytes = 1 << 30

// ViewOverhead is the memory a view costs beyond its document and strings:
// the View itself (160 bytes), its map entry, its five index entries and
// its share of the statistics. Measured by TestViewOverheadIsMeasured,
// which keeps it honest: ~375 bytes after a cold start (indexes built in
// sorted order leave their nodes half full), ~265 when views arrive one at
// a time; see docs/query-api.md.
const ViewOverhead = 380

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
	// loading defers the sorted indexes to the end of the initial load
	// (BuildIndexes): sorting once and inserting in order costs a fraction
	// of inserting 100,000 views at random places.
	loading bool

	waiters waitList
}

// sortedViews holds one set of views in the two sort orders queries use.
type sortedViews struct {
	placed *btree.BTreeG[keyed] // placed date, then id
	total  *btree.BTreeG[keyed] // total, then id
}

// keyed is an index entry with its sort key inline, so that comparisons
// read the node's own memory instead of following a pointer per step (a
// cache miss each); only ties look at the view's id.
type keyed struct {
	key int64
	v   *View
}

func lessKeyed(a, b keyed) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.v.ID < b.v.ID
}

func placedKey(v *View) int64 { return v.placedKey }
func totalKey(v *View) int64  { return v.Total }

func newSortedViews() *sortedViews {
	return &sortedViews{placed: btree.NewG(btreeDegree, lessKeyed), total: btree.NewG(btreeDegree, lessKeyed)}
}

func lessBuyer(a, b *View) bool {
	switch {
	case a.BuyerID != b.BuyerID:
		return a.BuyerID < b.BuyerID
	case a.placedKey != b.placedKey:
		return a.placedKey < b.placedKey
	}
	return a.ID < b.ID
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
		loading:  true,
	}
}

// BuildIndexes ends the initial load: it builds the sorted indexes from
// the views applied so far; from then on every change updates them at once.
// Queries (Query) see no view before it is called; Get and WaitVersion do.
func (m *Model) BuildIndexes() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loading {
		return
	}
	m.loading = false
	views := make([]*View, 0, len(m.byID))
	for _, v := range m.byID {
		views = append(views, v)
	}
	slices.SortFunc(views, func(a, b *View) int { return boolCompare(lessBuyer(a, b), lessBuyer(b, a)) })
	for _, v := range views {
		m.byBuyer.ReplaceOrInsert(v)
	}
	byStatus := make(map[string][]*View)
	for _, v := range views {
		byStatus[v.Status] = append(byStatus[v.Status], v)
	}
	m.all.build(views)
	for status, vs := range byStatus {
		st := newSortedViews()
		st.build(vs)
		m.byStatus[status] = st
	}
}

// build fills empty indexes with views, each in sorted order.
func (s *sortedViews) build(views []*View) {
	for _, idx := range []struct {
		tree *btree.BTreeG[keyed]
		key  func(*View) int64
	}{{s.placed, placedKey}, {s.total, totalKey}} {
		items := make([]keyed, len(views))
		for i, v := range views {
			items[i] = keyed{idx.key(v), v}
		}
		slices.SortFunc(items, func(a, b keyed) int { return boolCompare(lessKeyed(a, b), lessKeyed(b, a)) })
		for _, it := range items {
			idx.tree.ReplaceOrInsert(it)
		}
	}
}

func boolCompare(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// Apply applies views in order under one lock and returns those it applied,
// each stamped with the next position (Seq). A view older than the one held
// for its order is skipped (a later copy already won), and so is the same
// document again (a second copy of the views, as after a rebuild switched
// containers, changes nothing and notifies no one); an equal version with
// another document replaces it (a rewrite). When a view would take the model
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
		if old != nil && (v.Version < old.Version || v.Version == old.Version && bytes.Equal(v.Doc, old.Doc)) {
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
	m.countStats(old, v)
	if m.loading {
		return
	}
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
}

func (s *sortedViews) replace(old, v *View) {
	replaceKeyed(s.placed, old, v, placedKey)
	replaceKeyed(s.total, old, v, totalKey)
}

func (s *sortedViews) remove(v *View) {
	s.placed.Delete(keyed{placedKey(v), v})
	s.total.Delete(keyed{totalKey(v), v})
}

// replaceKeyed swaps old (nil for none) for v in a keyed index.
func replaceKeyed(t *btree.BTreeG[keyed], old, v *View, key func(*View) int64) {
	if old != nil && key(old) != key(v) {
		t.Delete(keyed{key(old), old})
	}
	t.ReplaceOrInsert(keyed{key(v), v})
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
