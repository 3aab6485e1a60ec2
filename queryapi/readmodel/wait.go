package readmodel

import (
	"context"
	"sync"
)

// waitList lets readers wait for an order's view to change. All waiters of
// one order share one channel, closed (and forgotten) when the order
// changes; a waiter that gives up leaves, and the last one out removes the
// entry, so waiting for orders that never come leaks nothing.
type waitList struct {
	mu   sync.Mutex
	byID map[string]*waiter
}

type waiter struct {
	changed chan struct{}
	n       int
}

// join returns the channel closed at the order's next change.
func (w *waitList) join(id string) *waiter {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := w.byID[id]
	if e == nil {
		e = &waiter{changed: make(chan struct{})}
		w.byID[id] = e
	}
	e.n++
	return e
}

func (w *waitList) leave(id string, e *waiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e.n--
	if e.n == 0 && w.byID[id] == e {
		delete(w.byID, id)
	}
}

// notify wakes the waiters of every applied view.
func (w *waitList) notify(applied []*View) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.byID) == 0 {
		return
	}
	for _, v := range applied {
		if e := w.byID[v.ID]; e != nil {
			close(e.changed)
			delete(w.byID, v.ID)
		}
	}
}

// WaitVersion returns the order's view once it has reached minVersion. When
// ctx ends first it returns the view it has (nil when the order is not
// there yet) and ctx's error.
func (m *Model) WaitVersion(ctx context.Context, id string, minVersion int64) (*View, error) {
	for {
		// Join before looking: a change applied after the look closes the
		// channel joined here, so no change can slip between the two.
		e := m.waiters.join(id)
		v, _ := m.Get(id)
		if v != nil && v.Version >= minVersion {
			m.waiters.leave(id, e)
			return v, nil
		}
		select {
		case <-e.changed:
			m.waiters.leave(id, e)
		case <-ctx.Done():
			m.waiters.leave(id, e)
			return v, ctx.Err()
		}
	}
}

// Waiting returns the number of orders that readers are waiting for.
func (m *Model) Waiting() int {
	m.waiters.mu.Lock()
	defer m.waiters.mu.Unlock()
	return len(m.waiters.byID)
}
