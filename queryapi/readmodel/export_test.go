package readmodel

// Waiting returns the number of orders someone is waiting for.
func (m *Model) Waiting() int {
	m.waiters.mu.Lock()
	defer m.waiters.mu.Unlock()
	return len(m.waiters.byID)
}
