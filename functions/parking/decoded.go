package parking

import (
	"encoding/json"
	"sync"

	"orderctx/domain/es"
)

// DecodedCache shares decoded documents among the consumers of one feed in
// one process: the projector, the publisher and the snapshotter each get the
// same event documents within milliseconds of each other, and decoding
// (JSON, then the registry's upcasting) is the largest part of what the
// parking wrapper costs per event. An entry is keyed by the document's exact
// bytes, so a hit is the decoding of those bytes by the same registry.
// Consumers sharing a cache must share the registry, and must not modify the
// envelopes they are handed (none of this app's consumers does).
type DecodedCache struct {
	mu      sync.Mutex
	entries map[string]item
	order   []string // insertion order, a ring: the oldest is evicted first
	next    int
}

// DefaultDecodedEntries is the capacity of NewDecodedCache(0): a few
// seconds of events at the rates measured locally, more than the distance
// between the fastest and the slowest consumer under load.
const DefaultDecodedEntries = 4096

// NewDecodedCache returns a cache of at most entries documents (0: the default).
func NewDecodedCache(entries int) *DecodedCache {
	if entries <= 0 {
		entries = DefaultDecodedEntries
	}
	return &DecodedCache{entries: make(map[string]item, entries), order: make([]string, 0, entries)}
}

// decode returns the document decoded through reg, from the cache when it
// holds these bytes. A nil cache decodes every time.
func (c *DecodedCache) decode(reg *es.Registry, raw json.RawMessage) item {
	if c == nil {
		return decode(reg, raw)
	}
	c.mu.Lock()
	it, ok := c.entries[string(raw)]
	c.mu.Unlock()
	if ok {
		it.raw = raw
		return it
	}
	it = decode(reg, raw)
	c.put(string(raw), it)
	return it
}

func (c *DecodedCache) put(key string, it item) {
	it.raw = nil // the batch's bytes stay the batch's
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	if len(c.order) < cap(c.order) {
		c.order = append(c.order, key)
	} else {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % len(c.order)
	}
	c.entries[key] = it
}
