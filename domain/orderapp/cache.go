package orderapp

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// Defaults of CacheConfig.
const (
	// DefaultCacheEntries bounds the streams a cache holds.
	DefaultCacheEntries = 100_000
	// DefaultCacheBytes bounds the cache's estimated memory (64 MiB).
	DefaultCacheBytes = 64 << 20
	// DefaultCacheCommands bounds the command records kept per stream.
	DefaultCacheCommands = 128
)

// CacheConfig bounds a state cache. The zero value takes every default.
type CacheConfig struct {
	// MaxEntries is the most streams held; the least recently used go first.
	MaxEntries int
	// MaxBytes bounds the estimated memory of the entries (the order state,
	// its lines and its command records).
	MaxBytes int64
	// MaxCommands is the most command records kept per stream, newest
	// first. A stream with more commands keeps only the newest, and a
	// command id it does not find is then looked up in the store.
	MaxCommands int
}

// Validate reports every invalid setting at once.
func (c CacheConfig) Validate() error {
	var errs []error
	if c.MaxEntries < 0 {
		errs = append(errs, fmt.Errorf("cache MaxEntries %d is negative", c.MaxEntries))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("cache MaxBytes %d is negative", c.MaxBytes))
	}
	if c.MaxCommands < 0 {
		errs = append(errs, fmt.Errorf("cache MaxCommands %d is negative", c.MaxCommands))
	}
	return errors.Join(errs...)
}

func (c CacheConfig) withDefaults() CacheConfig {
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultCacheEntries
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultCacheBytes
	}
	if c.MaxCommands == 0 {
		c.MaxCommands = DefaultCacheCommands
	}
	return c
}

// Cache keeps, per order stream, the committed order with its version and
// the commands that committed on it, so that a command can be decided
// without reading the store. It is only an optimisation: entries are filled
// from durable answers alone (a load, a successful append), and the append's
// version check stays the only judge of whether a decision was made on the
// current state (see Service.Update). It is bounded in entries and estimated
// bytes, evicting the least recently used, and safe for concurrent use.
type Cache struct {
	cfg CacheConfig

	mu      sync.Mutex
	entries map[string]*list.Element // of *cacheEntry
	lru     list.List                // front: most recently used
	bytes   int64

	hits, misses, stale, evictions atomic.Int64
}

// NewCache returns an empty cache; invalid settings are a programming error
// and panic.
func NewCache(cfg CacheConfig) *Cache {
	if err := cfg.Validate(); err != nil {
		panic("orderapp.NewCache: " + err.Error())
	}
	return &Cache{cfg: cfg.withDefaults(), entries: make(map[string]*list.Element)}
}

// CacheStats are a cache's counters and size.
type CacheStats struct {
	// Hits counts commands that started from a cached entry, Misses those
	// that found none, Stale the cached entries that an append proved out of
	// date (another writer had appended), Evictions the entries dropped for room.
	Hits, Misses, Stale, Evictions int64
	Entries                        int
	Bytes                          int64
}

// Stats returns the counters and the current size.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	entries, bytes := len(c.entries), c.bytes
	c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Stale: c.stale.Load(),
		Evictions: c.evictions.Load(), Entries: entries, Bytes: bytes}
}

// cacheEntry is what the cache knows of one stream. It is immutable once
// stored: commands decide on a clone of order, and a new version replaces
// the entry as a whole.
type cacheEntry struct {
	streamID string
	order    *order.Order // committed state at version; never decided on
	version  int64
	commandLog
	size int64
}

// commandLog is what a stream's commands committed, as far as it is known:
// every command that committed after from, oldest first. from is 0 when the
// stream was read from its first event, so every command id is known.
type commandLog struct {
	commands []es.CommandRecord
	from     int64
}

// command returns the record of commandID and whether the log can tell:
// found, or absent from a stream whose every command the log knows.
func (l commandLog) command(commandID string) (rec *es.CommandRecord, known bool) {
	for i := len(l.commands) - 1; i >= 0; i-- {
		if l.commands[i].CommandID == commandID {
			return &l.commands[i], true
		}
	}
	return nil, l.from == 0
}

// with returns the log after rec committed, in a new slice (entries are
// shared), keeping at most max records: dropping the oldest raises from to
// the version they reached. A record without a command id is not kept.
func (l commandLog) with(rec es.CommandRecord, max int) commandLog {
	if rec.CommandID == "" {
		return l
	}
	out := commandLog{commands: make([]es.CommandRecord, 0, min(len(l.commands)+1, max)), from: l.from}
	keep := l.commands
	if drop := len(keep) + 1 - max; drop > 0 {
		out.from = keep[drop-1].Version
		keep = keep[drop:]
	}
	out.commands = append(append(out.commands, keep...), rec)
	return out
}

// logOf returns the command log of a loaded stream: the commands of its
// loaded events, all of the stream's when no snapshot hid the first ones,
// the newest max of them.
func logOf(stream es.Stream, max int) commandLog {
	var l commandLog
	if stream.Snapshot != nil {
		l.from = stream.Snapshot.Version
	}
	for _, ev := range stream.Events {
		if ev.CommandID == "" {
			continue
		}
		if rec, _ := l.command(ev.CommandID); rec != nil {
			// As the store's FindCommand: every event of the id, the last version.
			rec.EventIDs = append(rec.EventIDs, ev.EventID)
			rec.Version, rec.CommandHash = ev.Version, ev.CommandHash
			continue
		}
		l.commands = append(l.commands, es.CommandRecord{CommandID: ev.CommandID, CommandHash: ev.CommandHash, EventIDs: []string{ev.EventID}, Version: ev.Version})
	}
	if drop := len(l.commands) - max; drop > 0 {
		l.from = l.commands[drop-1].Version
		l.commands = l.commands[drop:]
	}
	return l
}

func newEntry(streamID string, o *order.Order, version int64, log commandLog) *cacheEntry {
	e := &cacheEntry{streamID: streamID, order: o, version: version, commandLog: log}
	e.size = entrySize(e)
	return e
}

// entrySize estimates the memory an entry holds: fixed parts by their Go
// sizes rounded up, strings by their lengths. It only has to be good enough
// for a bound in bytes to mean what it says within a small factor.
func entrySize(e *cacheEntry) int64 {
	const (
		entryOverhead = 400 // entry, list element, map slot, order and its base
		itemOverhead  = 112 // one order.Item without its strings
		recOverhead   = 72  // one es.CommandRecord without its strings
	)
	st := e.order.State()
	n := entryOverhead + 2*len(e.streamID) + len(st.OrderID) + len(st.BuyerID) + len(st.Currency) +
		len(st.ShippingAddress.Street) + len(st.ShippingAddress.City) + len(st.ShippingAddress.PostalCode) + len(st.ShippingAddress.Country)
	for _, it := range st.Items {
		n += itemOverhead + len(it.ProductID) + len(it.Name) + 2*len(it.UnitPrice.Currency)
	}
	if st.Payment != nil {
		n += 64 + len(st.Payment.Reference)
	}
	if st.Shipment != nil {
		n += 64 + len(st.Shipment.Carrier) + len(st.Shipment.TrackingNumber)
	}
	if st.Cancellation != nil {
		n += 64 + len(st.Cancellation.Reason)
	}
	for _, r := range e.commands {
		n += recOverhead + len(r.CommandID) + len(r.CommandHash)
		for _, id := range r.EventIDs {
			n += 16 + len(id)
		}
	}
	return int64(n)
}

// get returns the stream's entry, counting a hit or a miss.
func (c *Cache) get(streamID string) *cacheEntry {
	var e *cacheEntry
	c.mu.Lock()
	if el, ok := c.entries[streamID]; ok {
		c.lru.MoveToFront(el)
		e = el.Value.(*cacheEntry)
	}
	c.mu.Unlock()
	if e == nil {
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	return e
}

// put stores e unless the cache holds a newer version of the stream (or the
// same version knowing older commands), then evicts the least recently used
// entries until both bounds hold. An entry larger than the whole byte bound
// is not kept.
func (c *Cache) put(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.streamID]; ok {
		old := el.Value.(*cacheEntry)
		if old.version > e.version || (old.version == e.version && old.from < e.from) {
			return
		}
		c.bytes += e.size - old.size
		el.Value = e
		c.lru.MoveToFront(el)
	} else {
		c.entries[e.streamID] = c.lru.PushFront(e)
		c.bytes += e.size
	}
	for len(c.entries) > c.cfg.MaxEntries || c.bytes > c.cfg.MaxBytes {
		c.removeLocked(c.lru.Back())
		c.evictions.Add(1)
	}
}

// invalidate drops the stream's entry if it is at version or older: an
// append at that version failed, so the entry is out of date (or, after an
// unknown outcome, may be). A newer entry, put by the writer that won, stays.
func (c *Cache) invalidate(streamID string, version int64, stale bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[streamID]
	if !ok || el.Value.(*cacheEntry).version > version {
		return
	}
	c.removeLocked(el)
	if stale {
		c.stale.Add(1)
	}
}

func (c *Cache) removeLocked(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.streamID)
	c.bytes -= e.size
}
