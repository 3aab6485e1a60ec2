package readmodel

import "math/big"

// statsKey is one cell of the statistics: a status and a currency.
type statsKey struct{ status, currency string }

// bucket holds the running count and sum of one cell. Sums are exact big
// integers: each total is at most 2^53-1 minor units, but a million of them
// need not fit in 64 bits.
type bucket struct {
	orders int64
	total  big.Int
}

// Amount is the number of orders of one cell and the sum of their totals,
// in minor units of the cell's currency.
type Amount struct {
	Orders int64
	Total  *big.Int
}

// Stats is the count and amount of orders by status and currency.
type Stats struct {
	// Orders is the number of orders held.
	Orders int64
	// ByStatus maps a status to its currencies' amounts.
	ByStatus map[string]map[string]Amount
}

// countStats moves one order's contribution from old to v.
func (m *Model) countStats(old, v *View) {
	if old != nil {
		b := m.stats[statsKey{old.Status, old.Currency}]
		b.orders--
		b.total.Sub(&b.total, big.NewInt(old.Total))
		if b.orders == 0 {
			delete(m.stats, statsKey{old.Status, old.Currency})
		}
	}
	k := statsKey{v.Status, v.Currency}
	b := m.stats[k]
	if b == nil {
		b = &bucket{}
		m.stats[k] = b
	}
	b.orders++
	b.total.Add(&b.total, big.NewInt(v.Total))
}

// Stats returns a copy of the statistics, consistent with one point in the
// sequence of changes.
func (m *Model) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := Stats{Orders: int64(len(m.byID)), ByStatus: make(map[string]map[string]Amount)}
	for k, b := range m.stats {
		cur := out.ByStatus[k.status]
		if cur == nil {
			cur = make(map[string]Amount)
			out.ByStatus[k.status] = cur
		}
		cur[k.currency] = Amount{Orders: b.orders, Total: new(big.Int).Set(&b.total)}
	}
	return out
}
