package readmodel

import (
	"math"
	"slices"
	"time"

	"github.com/google/btree"
)

// SortKey is the order of a query's results.
type SortKey int

// The sort keys. Ties are broken by order id, so every order is total and
// a position (sort value, id) names one place in it.
const (
	SortPlacedAt SortKey = iota
	SortTotal
)

// Position is a place in a sort order: the sort value of a view (placed
// date in Unix nanoseconds, or total) and its id. Results continue strictly
// after it, so a page boundary never repeats or skips a view that did not
// change in between.
type Position struct {
	Key int64
	ID  string
}

// Query selects and orders views. Zero fields do not filter.
type Query struct {
	Status  string
	BuyerID string
	// PlacedFrom is inclusive, PlacedTo exclusive.
	PlacedFrom, PlacedTo time.Time
	MinTotal             *int64
	Sort                 SortKey
	Desc                 bool
	// After continues a previous page: only views after this position.
	After *Position
	// Limit is the page size (at least 1).
	Limit int
}

// PositionOf returns a view's position in a sort order.
func PositionOf(v *View, s SortKey) Position {
	if s == SortTotal {
		return Position{Key: v.Total, ID: v.ID}
	}
	return Position{Key: v.placedKey, ID: v.ID}
}

// Query returns up to q.Limit views in q's order and whether more follow.
// Without a buyer it walks one sorted index (all orders, or one status),
// starting at the cursor or at the range the filters set on the sort key,
// and stops at the end of that range; with a buyer it walks that buyer's
// orders (sorting them when sorted by total).
func (m *Model) Query(q Query) (views []*View, more bool) {
	limit := max(q.Limit, 1)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if q.BuyerID != "" {
		return m.queryBuyer(q, limit)
	}
	set := &m.all
	if q.Status != "" {
		if set = m.byStatus[q.Status]; set == nil {
			return nil, false
		}
	}
	tree := set.placed
	if q.Sort == SortTotal {
		tree = set.total
	}
	p := newPage(q, limit)
	q.walk(tree, p.visit)
	return p.result()
}

// page gathers the views of one page as a walk in the query's order visits
// them: from the cursor on, within the sort key's range, matching every
// filter, up to one past the limit (which says more follow).
type page struct {
	q     Query
	limit int
	out   []*View
}

func newPage(q Query, limit int) *page {
	return &page{q: q, limit: limit, out: make([]*View, 0, min(limit+1, 256))}
}

// visit takes one view of the walk and says whether to go on.
func (p *page) visit(v *View) bool {
	if p.q.pastRange(v) {
		return false
	}
	if p.q.After != nil && !p.q.afterCursor(v) {
		return true // the cursor's own view
	}
	if p.q.match(v) {
		p.out = append(p.out, v)
	}
	return len(p.out) <= p.limit
}

func (p *page) result() ([]*View, bool) {
	if len(p.out) > p.limit {
		return p.out[:p.limit], true
	}
	return p.out, false
}

// walk visits tree in q's direction from q's starting point.
func (q Query) walk(tree *btree.BTreeG[keyed], visitView func(*View) bool) {
	visit := func(k keyed) bool { return visitView(k.v) }
	start, ok := q.start()
	switch {
	case !q.Desc && ok:
		tree.AscendGreaterOrEqual(start, visit)
	case !q.Desc:
		tree.Ascend(visit)
	case ok:
		tree.DescendLessOrEqual(start, visit)
	default:
		tree.Descend(visit)
	}
}

// start is where a walk begins: the cursor, or the end of the sort key's
// range that the walk starts from (as a pivot that sorts before every id).
func (q Query) start() (keyed, bool) {
	if q.After != nil {
		return q.pivot(q.After.Key, q.After.ID), true
	}
	lo, hi, hasLo, hasHi := q.keyRange()
	if !q.Desc && hasLo {
		return q.pivot(lo, ""), true
	}
	if q.Desc && hasHi {
		return q.pivot(hi, ""), true
	}
	return keyed{}, false
}

func (q Query) pivot(key int64, id string) keyed {
	return keyed{key: key, v: &View{ID: id}}
}

// keyRange is the range the filters set on the sort key: [lo, hi).
func (q Query) keyRange() (lo, hi int64, hasLo, hasHi bool) {
	if q.Sort == SortTotal {
		if q.MinTotal != nil {
			return *q.MinTotal, 0, true, false
		}
		return 0, 0, false, false
	}
	if !q.PlacedFrom.IsZero() {
		lo, hasLo = q.PlacedFrom.UnixNano(), true
	}
	if !q.PlacedTo.IsZero() {
		hi, hasHi = q.PlacedTo.UnixNano(), true
	}
	return lo, hi, hasLo, hasHi
}

// pastRange reports that a walk has left the sort key's range for good.
func (q Query) pastRange(v *View) bool {
	lo, hi, hasLo, hasHi := q.keyRange()
	key := PositionOf(v, q.Sort).Key
	if q.Desc {
		return hasLo && key < lo
	}
	return hasHi && key >= hi
}

// afterCursor reports that v comes strictly after q.After in q's order.
func (q Query) afterCursor(v *View) bool {
	p := PositionOf(v, q.Sort)
	c := comparePositions(p, *q.After)
	if q.Desc {
		return c < 0
	}
	return c > 0
}

func comparePositions(a, b Position) int {
	switch {
	case a.Key < b.Key:
		return -1
	case a.Key > b.Key:
		return 1
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// match applies every filter.
func (q Query) match(v *View) bool {
	switch {
	case q.Status != "" && v.Status != q.Status,
		q.BuyerID != "" && v.BuyerID != q.BuyerID,
		!q.PlacedFrom.IsZero() && v.placedKey < q.PlacedFrom.UnixNano(),
		!q.PlacedTo.IsZero() && v.placedKey >= q.PlacedTo.UnixNano(),
		q.MinTotal != nil && v.Total < *q.MinTotal:
		return false
	}
	return true
}

// queryBuyer answers a query for one buyer from the buyer index, which
// holds each buyer's orders in placed order: sorted by placed date it walks
// the buyer's orders from the page's start in the query's direction and
// stops after the page, like the other indexes; sorted by total it collects
// the buyer's matching orders and sorts them, a cost that grows with the
// buyer's number of orders.
func (m *Model) queryBuyer(q Query, limit int) ([]*View, bool) {
	if q.Sort == SortTotal {
		return m.queryBuyerByTotal(q, limit)
	}
	p := newPage(q, limit)
	visit := func(v *View) bool { return v.BuyerID == q.BuyerID && p.visit(v) }
	if q.Desc {
		m.byBuyer.DescendLessOrEqual(q.buyerPivot(), visit)
	} else {
		m.byBuyer.AscendGreaterOrEqual(q.buyerPivot(), visit)
	}
	return p.result()
}

// buyerPivot is where a walk of the buyer index by placed date begins: the
// cursor, else the end of the placed range the walk starts from, else the
// first (or, descending, past the last) of the buyer's orders.
func (q Query) buyerPivot() *View {
	if q.After != nil {
		return &View{BuyerID: q.BuyerID, placedKey: q.After.Key, ID: q.After.ID}
	}
	lo, hi, hasLo, hasHi := q.keyRange()
	switch {
	case !q.Desc && hasLo:
		return &View{BuyerID: q.BuyerID, placedKey: lo}
	case !q.Desc:
		return &View{BuyerID: q.BuyerID, placedKey: math.MinInt64}
	case hasHi:
		return &View{BuyerID: q.BuyerID, placedKey: hi} // hi is exclusive: no view has an empty id
	default:
		return &View{BuyerID: q.BuyerID + "\x00", placedKey: math.MinInt64} // after every order of the buyer
	}
}

// queryBuyerByTotal collects one buyer's matching orders from the buyer
// index, sorts them by total and cuts the page.
func (m *Model) queryBuyerByTotal(q Query, limit int) ([]*View, bool) {
	var all []*View
	m.byBuyer.AscendGreaterOrEqual(&View{BuyerID: q.BuyerID, placedKey: math.MinInt64}, func(v *View) bool {
		if v.BuyerID != q.BuyerID {
			return false
		}
		if q.match(v) {
			all = append(all, v)
		}
		return true
	})
	slices.SortFunc(all, func(a, b *View) int { return comparePositions(PositionOf(a, SortTotal), PositionOf(b, SortTotal)) })
	if q.Desc {
		slices.Reverse(all)
	}
	if q.After != nil {
		i := slices.IndexFunc(all, q.afterCursor)
		if i < 0 {
			i = len(all)
		}
		all = all[i:]
	}
	if len(all) > limit {
		return all[:limit:limit], true
	}
	return all, false
}
