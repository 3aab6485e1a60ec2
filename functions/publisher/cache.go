package publisher

import (
	"container/list"
	"sync"

	"orderctx/domain/order"
)

// orderCache keeps the most recently used orders, each at the version of
// the last event the handler folded onto it. A batch takes the orders it
// works on out of the cache and puts them back only after publishing, so a
// failed batch leaves nothing half-applied behind.
type orderCache struct {
	mu    sync.Mutex
	max   int
	lru   *list.List // of *order.Order, most recent first
	index map[string]*list.Element
}

func newOrderCache(max int) *orderCache {
	return &orderCache{max: max, lru: list.New(), index: make(map[string]*list.Element)}
}

// take removes and returns the cached order of a stream, or nil.
func (c *orderCache) take(streamID string) *order.Order {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[streamID]
	if !ok {
		return nil
	}
	c.lru.Remove(el)
	delete(c.index, streamID)
	return el.Value.(*order.Order)
}

// put caches orders, evicting the least recently used beyond max.
func (c *orderCache) put(orders map[string]*order.Order) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for streamID, o := range orders {
		if el, ok := c.index[streamID]; ok {
			c.lru.Remove(el)
		}
		c.index[streamID] = c.lru.PushFront(o)
	}
	for c.lru.Len() > c.max {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.index, last.Value.(*order.Order).StreamID())
	}
}

// len returns the number of cached orders.
func (c *orderCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
