package projector

import (
	"container/list"
	"sync"
)

// cache keeps the views this projector last read or wrote, with their etags,
// so a batch reads from the store only the views it has not seen. An entry
// may be stale (another projector wrote since): a write on a stale etag is
// refused and redone on the stored view, and a gap seen on a cached view is
// checked against the store before it is reported, so the cache saves reads
// without ever deciding anything. Least recently used entries go first.
type cache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *cacheEntry, most recent first
	entries map[string]*list.Element
}

type cacheEntry struct {
	id     string
	stored Stored
}

func newCache(max int) *cache {
	return &cache{max: max, order: list.New(), entries: make(map[string]*list.Element)}
}

func (c *cache) get(id string) (Stored, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return Stored{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).stored, true
}

func (c *cache) put(id string, s Stored) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok {
		e.Value.(*cacheEntry).stored = s
		c.order.MoveToFront(e)
		return
	}
	c.entries[id] = c.order.PushFront(&cacheEntry{id: id, stored: s})
	if c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).id)
	}
}

func (c *cache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok {
		c.order.Remove(e)
		delete(c.entries, id)
	}
}
