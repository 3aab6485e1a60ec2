package store

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"orderctx/infra/cosmosemu/epk"
)

// Container is one Cosmos DB container: its items grouped by logical
// partition, its physical partition key ranges and their change feeds.
type Container struct {
	db *Database

	mu        sync.RWMutex
	meta      containerMeta
	pkPaths   [][]string
	pkVersion int
	ttl       *int64 // nil: TTL off; -1: on without default; n: default seconds
	logical   map[string]*logical
	ranges    []*prange // current ranges ordered by Min
	lsn       uint64    // last assigned log sequence number
	seq       uint64    // last assigned item sequence (creation order, rid)
	expiring  int       // items with an expiry, so the sweeper can skip idle containers
	deleted   bool      // set, under mu, once the container's deletion is durable: it takes no more writes

	// durable is the last LSN whose write is durable; answers wait for it
	// (durable.go). waiters counts answers parked there, wake wakes them.
	durable atomic.Uint64
	waiters atomic.Int32
	wakeMu  sync.Mutex
	wake    chan struct{}
}

type containerMeta struct {
	DB        string                     `json:"db"`
	ID        string                     `json:"id"`
	RID       string                     `json:"rid"`
	DBSeq     uint32                     `json:"dbSeq"`
	Seq       uint32                     `json:"seq"`
	TS        int64                      `json:"ts"`
	ETag      string                     `json:"etag"`
	Props     map[string]json.RawMessage `json:"props"`
	Ranges    []*rangeMeta               `json:"ranges"`
	NextRange int                        `json:"nextRange"`
	Offer     *offerMeta                 `json:"offer,omitempty"`
}

type rangeMeta struct {
	ID      string   `json:"id"`
	Min     string   `json:"minInclusive"`
	Max     string   `json:"maxExclusive"`
	Parents []string `json:"parents"`
	Gone    bool     `json:"gone,omitempty"`
	TS      int64    `json:"ts"`
	LSN     uint64   `json:"lsn"`
}

// prange is a live physical partition key range and its change feed: items in
// LSN order, where an entry whose item was since replaced or deleted is
// skipped and eventually compacted away.
type prange struct {
	meta    *rangeMeta
	feed    []*Doc
	garbage int
	lsn     uint64 // the last change written into the range
}

type logical struct {
	key    string // canonical JSON array of the partition key values
	values []any
	epk    string
	docs   map[string]*Doc
	rng    *prange
	lsn    uint64 // the last change written into the partition
}

// Doc is one stored item version. It is immutable once published: a write
// creates a new Doc and marks the old one dead.
type Doc struct {
	ID      string
	PKKey   string
	Body    []byte // the full JSON document, system properties included
	LSN     uint64
	TS      int64
	Seq     uint64
	ETag    string
	Expires int64  // unix seconds; 0 never
	dead    bool   // replaced or deleted (under the container's lock)
	deadAt  uint64 // the LSN of the change that replaced or deleted it
	decoded atomic.Pointer[any]
}

// Value returns the document decoded as generic JSON, cached.
func (d *Doc) Value() any {
	if v := d.decoded.Load(); v != nil {
		return *v
	}
	var v any
	_ = json.Unmarshal(d.Body, &v)
	d.decoded.Store(&v)
	return v
}

// CreateContainer creates a container from its JSON properties.
// partitions <= 0 uses the engine default.
func (d *Database) CreateContainer(props []byte, partitions int, offer json.RawMessage) (*Container, error) {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(props, &p); err != nil || p == nil {
		return nil, errBadRequest("The container definition is not a valid JSON object.")
	}
	var id string
	_ = json.Unmarshal(p["id"], &id)
	if err := validateResourceID(id); err != nil {
		return nil, err
	}
	if partitions <= 0 {
		partitions = d.engine.opts.DefaultPartitions
	}
	if partitions > 64 {
		return nil, errBadRequest("At most 64 physical partitions are supported by this server.")
	}
	stripSystem(p)
	if err := normalizeContainerProps(p); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.deleted {
		return nil, errNotFound("database " + d.meta.ID)
	}
	if _, ok := d.containers[id]; ok {
		return nil, errConflict("container " + id)
	}
	d.meta.NextColl++
	seq := d.meta.NextColl
	ts := d.engine.now().Unix()
	cm := containerMeta{DB: d.meta.ID, ID: id, RID: ridString(append(mustRIDBytes(d.meta.RID), newRIDBytes(4)...)), DBSeq: d.meta.Seq, Seq: seq, TS: ts,
		ETag: makeETag(2, seq, uint64(ts)), Props: p}
	for i, r := range epk.Split(partitions) {
		cm.Ranges = append(cm.Ranges, &rangeMeta{ID: strconv.Itoa(i), Min: r.Min, Max: r.Max, Parents: []string{}, TS: ts})
	}
	cm.NextRange = partitions
	if offer != nil {
		cm.Offer = &offerMeta{RID: offerRID(cm.RID), Content: offer, TS: ts, ETag: makeETag(3, seq, uint64(ts))}
	}
	c, err := newContainer(d, cm)
	if err != nil {
		d.meta.NextColl--
		return nil, err
	}
	c.finishLoad()
	// d.mu is held until the definition is durable, so no request finds the
	// container (or a 409 for it) before a crash could no longer undo it.
	d.containers[id] = c
	dbBytes, _ := json.Marshal(d.meta)
	d.logLocked(put(string(metaBucket), dbKey(d.meta.ID), dbBytes), put(string(metaBucket), collKey(d.meta.ID, id), c.metaBytes()))()
	return c, nil
}

// systemProps are server-owned properties dropped from what clients send.
var systemProps = []string{"_rid", "_self", "_etag", "_ts", "_lsn", "_attachments", "_docs", "_sprocs", "_triggers", "_udfs", "_conflicts"}

func stripSystem(p map[string]json.RawMessage) {
	for _, k := range systemProps {
		delete(p, k)
	}
}

func normalizeContainerProps(p map[string]json.RawMessage) *Error {
	var pk struct {
		Paths   []string `json:"paths"`
		Kind    string   `json:"kind"`
		Version int      `json:"version"`
	}
	if raw, ok := p["partitionKey"]; !ok || json.Unmarshal(raw, &pk) != nil || len(pk.Paths) == 0 {
		return errBadRequest("The container definition must have a partitionKey with at least one path.")
	}
	if pk.Kind == "" {
		pk.Kind = "Hash"
		if len(pk.Paths) > 1 {
			pk.Kind = "MultiHash"
		}
	}
	if pk.Kind != "Hash" && pk.Kind != "MultiHash" {
		return errBadRequest("Partition key kind %q is not supported.", pk.Kind)
	}
	if len(pk.Paths) > 3 || (pk.Kind == "Hash" && len(pk.Paths) != 1) {
		return errBadRequest("A Hash partition key has one path; a MultiHash key has at most three.")
	}
	for _, path := range pk.Paths {
		if !strings.HasPrefix(path, "/") || len(path) < 2 {
			return errBadRequest("Partition key path %q is invalid: it must start with '/'.", path)
		}
	}
	if pk.Version == 0 {
		pk.Version = 2
	}
	if pk.Kind == "MultiHash" {
		pk.Version = 2
	}
	p["partitionKey"], _ = json.Marshal(pk)
	if _, ok := p["indexingPolicy"]; !ok {
		p["indexingPolicy"] = json.RawMessage(`{"indexingMode":"consistent","automatic":true,"includedPaths":[{"path":"/*"}],"excludedPaths":[{"path":"/\"_etag\"/?"}]}`)
	}
	if raw, ok := p["defaultTtl"]; ok {
		var ttl int64
		if json.Unmarshal(raw, &ttl) != nil || ttl == 0 || ttl < -1 {
			return errBadRequest("defaultTtl must be -1 or a positive number of seconds.")
		}
	}
	return nil
}

func newContainer(d *Database, cm containerMeta) (*Container, error) {
	c := &Container{db: d, meta: cm, logical: map[string]*logical{}}
	var pk struct {
		Paths   []string `json:"paths"`
		Version int      `json:"version"`
	}
	if err := json.Unmarshal(cm.Props["partitionKey"], &pk); err != nil {
		return nil, fmt.Errorf("container %s: partition key: %w", cm.ID, err)
	}
	for _, path := range pk.Paths {
		c.pkPaths = append(c.pkPaths, strings.Split(strings.TrimPrefix(path, "/"), "/"))
	}
	c.pkVersion = pk.Version
	c.applyTTLProp()
	for _, rm := range cm.Ranges {
		if !rm.Gone {
			c.ranges = append(c.ranges, &prange{meta: rm})
		}
	}
	sort.Slice(c.ranges, func(i, j int) bool { return epk.Compare(c.ranges[i].meta.Min, c.ranges[j].meta.Min) < 0 })
	return c, nil
}

func (c *Container) applyTTLProp() {
	c.ttl = nil
	if raw, ok := c.meta.Props["defaultTtl"]; ok {
		var ttl int64
		if json.Unmarshal(raw, &ttl) == nil {
			c.ttl = &ttl
		}
	}
}

// recomputeExpiries applies a changed defaultTtl to the stored items, as
// Cosmos DB does: turning TTL on, off or changing it affects existing items.
// Callers hold c.mu for writing.
func (c *Container) recomputeExpiries() {
	c.expiring = 0
	for _, lp := range c.logical {
		for _, d := range lp.docs {
			var ttl []byte
			if members, err := scanObject(d.Body); err == nil {
				for _, m := range members {
					if m.key == "ttl" {
						ttl = m.raw
					}
				}
			}
			d.Expires = c.expiryOf(ttl, d.TS)
			if d.Expires != 0 {
				c.expiring++
			}
		}
	}
}

func (c *Container) metaBytes() []byte {
	b, _ := json.Marshal(c.meta)
	return b
}

// PartitionKeyPaths returns the partition key paths, such as "/pk".
func (c *Container) PartitionKeyPaths() []string {
	out := make([]string, len(c.pkPaths))
	for i, p := range c.pkPaths {
		out[i] = "/" + strings.Join(p, "/")
	}
	return out
}

// EffectivePartitionKey is the effective partition key (EPK) of a full
// partition key value: the point the container's ranges are split on.
func (c *Container) EffectivePartitionKey(values []any) (string, error) {
	return epk.Compute(values, c.pkVersion)
}

// ID is the container id.
func (c *Container) ID() string { return c.meta.ID }

// RID is the container resource id.
func (c *Container) RID() string { return c.meta.RID }

// SelfLink is the container's rid-based link.
func (c *Container) SelfLink() string { return c.db.SelfLink() + "colls/" + c.meta.RID + "/" }

func mustRIDBytes(rid string) []byte {
	b, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(rid, "-", "/"))
	return b
}

// Properties returns the container resource as Cosmos DB returns it.
func (c *Container) Properties() map[string]any {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]any, len(c.meta.Props)+10)
	for k, v := range c.meta.Props {
		out[k] = v
	}
	self := c.SelfLink()
	out["id"] = c.meta.ID
	out["_rid"] = c.meta.RID
	out["_self"] = self
	out["_etag"] = c.meta.ETag
	out["_ts"] = c.meta.TS
	out["_docs"] = "docs/"
	out["_sprocs"] = "sprocs/"
	out["_triggers"] = "triggers/"
	out["_udfs"] = "udfs/"
	out["_conflicts"] = "conflicts/"
	return out
}

// Replace replaces the container's mutable properties (indexing policy, TTL...).
// The partition key cannot change.
func (c *Container) Replace(props []byte, ifMatch string) error {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(props, &p); err != nil || p == nil {
		return errBadRequest("The container definition is not a valid JSON object.")
	}
	stripSystem(p)
	delete(p, "id")
	if err := normalizeContainerProps(p); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleted {
		return errNotFound("container " + c.meta.ID)
	}
	if ifMatch != "" && ifMatch != c.meta.ETag {
		return errPrecondition()
	}
	if string(p["partitionKey"]) != string(c.meta.Props["partitionKey"]) {
		return errBadRequest("Partition key of a container cannot be changed.")
	}
	c.meta.Props = p
	c.meta.TS = c.db.engine.now().Unix()
	c.meta.ETag = makeETag(2, c.meta.Seq, uint64(c.meta.TS)^uint64(c.lsn+1)<<20)
	c.applyTTLProp()
	c.recomputeExpiries()
	c.logMetaLocked()()
	return nil
}

// logMetaLocked queues the container's definition to the log while c.mu is
// held, so definitions reach the log in the order they were made (and never
// after the container's deletion). The caller waits with the function it
// returns before unlocking: no request may see a definition (a TTL, a split)
// before it is durable.
func (c *Container) logMetaLocked() (wait func()) {
	w := c.db.engine.wal
	if w == nil || c.deleted {
		return func() {}
	}
	done := w.submit([]write{put(string(metaBucket), collKey(c.meta.DB, c.meta.ID), c.metaBytes())}, nil)
	return func() { <-done }
}

// Container returns a container by id.
func (d *Database) Container(id string) (*Container, error) {
	d.mu.RLock()
	c, ok := d.containers[id]
	d.mu.RUnlock()
	if !ok {
		return nil, errNotFound("container " + id)
	}
	return c, nil
}

// Containers lists containers in creation order.
func (d *Database) Containers() []*Container {
	d.mu.RLock()
	out := make([]*Container, 0, len(d.containers))
	for _, c := range d.containers {
		out = append(out, c)
	}
	d.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].meta.Seq < out[j].meta.Seq })
	return out
}

// DeleteContainer removes a container and its items. d.mu is held until the
// removal is durable, so no request finds the container gone before that.
func (d *Database) DeleteContainer(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.containers[id]
	if !ok {
		return errNotFound("container " + id)
	}
	d.dropContainerLocked(c)
	return nil
}

// dropContainerLocked logs the removal of a container and its items, waits
// until it is durable, then marks it deleted and forgets it; d.mu is held.
// c.mu is held throughout: a write that got the lock first is logged before
// the drop, and every later one sees the mark, so none can recreate the
// dropped bucket, and none is answered 404 before the drop is durable.
func (d *Database) dropContainerLocked(c *Container) {
	c.mu.Lock()
	if w := d.engine.wal; w != nil {
		<-w.dropBucket(c.meta.RID, c.loggedBytes(), [][]byte{collKey(d.meta.ID, c.meta.ID), counterKey(c.meta.RID)})
	}
	c.deleted = true
	c.mu.Unlock()
	delete(d.containers, c.meta.ID)
}

// loggedBytes is what the container's items take in a snapshot of the
// log (c.mu is held).
func (c *Container) loggedBytes() int64 {
	var n int64
	for _, lp := range c.logical {
		for id, d := range lp.docs {
			n += itemWriteSize(c.meta.RID, lp.key, id, d)
		}
	}
	return n
}

// PartitionKeyRange is a physical range as the pkranges feed reports it.
type PartitionKeyRange struct {
	ID      string
	Min     string
	Max     string
	Parents []string
	TS      int64
	LSN     uint64
}

// PartitionKeyRanges returns every range ever created, in creation order, from
// position `after` on (the pkranges feed continuation), and the new position.
func (c *Container) PartitionKeyRanges(after int) ([]PartitionKeyRange, int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if after < 0 || after > len(c.meta.Ranges) {
		after = 0
	}
	var out []PartitionKeyRange
	for _, rm := range c.meta.Ranges[after:] {
		out = append(out, PartitionKeyRange{ID: rm.ID, Min: rm.Min, Max: rm.Max, Parents: append([]string{}, rm.Parents...), TS: rm.TS, LSN: rm.LSN})
	}
	return out, len(c.meta.Ranges)
}

// SplitRange splits a live range in two at the midpoint of its hash space, as
// Cosmos DB does when a partition grows; the old range id then answers 410.
func (c *Container) SplitRange(id string) ([2]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleted {
		return [2]string{}, errNotFound("container " + c.meta.ID)
	}
	idx := -1
	for i, r := range c.ranges {
		if r.meta.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		return [2]string{}, errf(404, "NotFound", "partition key range %s is not a live range", id)
	}
	parent := c.ranges[idx]
	mid, err := epk.Midpoint(parent.meta.Min, parent.meta.Max)
	if err != nil {
		return [2]string{}, errBadRequest("range %s cannot be split: %v", id, err)
	}
	ts := c.db.engine.now().Unix()
	parents := append(append([]string{}, parent.meta.Parents...), parent.meta.ID)
	mk := func(min, max string) *prange {
		rm := &rangeMeta{ID: strconv.Itoa(c.meta.NextRange), Min: min, Max: max, Parents: parents, TS: ts, LSN: c.lsn}
		c.meta.NextRange++
		c.meta.Ranges = append(c.meta.Ranges, rm)
		return &prange{meta: rm, lsn: parent.lsn}
	}
	left, right := mk(parent.meta.Min, mid), mk(mid, parent.meta.Max)
	parent.meta.Gone = true
	feed, _ := c.withoutSuperseded(parent.feed)
	for _, d := range feed {
		child := right
		if epk.Compare(c.logical[d.PKKey].epk, mid) < 0 {
			child = left
		}
		child.feed = append(child.feed, d)
		if d.dead {
			child.garbage++
		}
	}
	for _, lp := range c.logical {
		if lp.rng == parent {
			if epk.Compare(lp.epk, mid) < 0 {
				lp.rng = left
			} else {
				lp.rng = right
			}
		}
	}
	c.ranges = append(c.ranges[:idx], append([]*prange{left, right}, c.ranges[idx+1:]...)...)
	c.logMetaLocked()()
	return [2]string{left.meta.ID, right.meta.ID}, nil
}

// rangeFor returns the live range holding an effective partition key.
func (c *Container) rangeFor(e string) *prange {
	i := sort.Search(len(c.ranges), func(i int) bool { return epk.Compare(c.ranges[i].meta.Max, e) > 0 })
	if i == len(c.ranges) {
		i = len(c.ranges) - 1
	}
	return c.ranges[i]
}

// liveRange finds a live range by id, or reports it gone.
func (c *Container) liveRange(id string) (*prange, *Error) {
	for _, r := range c.ranges {
		if r.meta.ID == id {
			return r, nil
		}
	}
	for _, rm := range c.meta.Ranges {
		if rm.ID == id {
			return nil, errRangeGone(id)
		}
	}
	return nil, errf(404, "NotFound", "partition key range %s does not exist", id)
}

// RangeIDs lists the live ranges in EPK order.
func (c *Container) RangeIDs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, len(c.ranges))
	for i, r := range c.ranges {
		out[i] = r.meta.ID
	}
	return out
}

// loadItem restores one stored item during Open. Items are later sorted into
// the feed by LSN in finishLoad. It reads the few properties it needs with
// the write path's scanner: decoding every item into a map made the whole
// of a start's time.
func (c *Container) loadItem(v []byte) error {
	if len(v) < 8 {
		return fmt.Errorf("item record too short")
	}
	seq := binary.BigEndian.Uint64(v[:8])
	// A copy of its own: the value shares its record's memory (a snapshot's
	// chunk holds a megabyte of items), which the item would keep alive.
	body := append([]byte(nil), v[8:]...)
	members, err := scanObject(body)
	if err != nil {
		return err
	}
	get := func(name string) ([]byte, bool) {
		for i := len(members) - 1; i >= 0; i-- { // the last of a repeated name wins, as in decoding
			if members[i].key == name {
				return members[i].raw, true
			}
		}
		return nil, false
	}
	id, etag := loadString(get("id")), loadString(get("_etag"))
	lsn, ts := uint64(loadInt(get("_lsn"))), loadInt(get("_ts"))
	values, err := c.pkValues(get)
	if err != nil {
		return err
	}
	lp, lerr := c.logicalFor(values)
	if lerr != nil {
		return lerr
	}
	d := &Doc{ID: id, PKKey: lp.key, Body: body, LSN: lsn, TS: ts, Seq: seq, ETag: etag}
	ttl, _ := get("ttl")
	d.Expires = c.expiryOf(ttl, ts)
	if d.Expires != 0 {
		c.expiring++
	}
	lp.docs[id] = d
	lp.rng.feed = append(lp.rng.feed, d)
	return nil
}

// loadString decodes a stored JSON string ("" when absent or not a string).
func loadString(raw []byte, ok bool) string {
	if !ok || len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	if plainString(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// loadInt decodes a stored JSON integer (0 when absent or not one).
func loadInt(raw []byte, ok bool) int64 {
	if !ok {
		return 0
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n
	}
	var f float64
	_ = json.Unmarshal(raw, &f)
	return int64(f)
}

func (c *Container) finishLoad() {
	for _, r := range c.ranges {
		sort.Slice(r.feed, func(i, j int) bool { return r.feed[i].LSN < r.feed[j].LSN })
		if n := len(r.feed); n > 0 && r.feed[n-1].LSN > c.lsn {
			c.lsn = r.feed[n-1].LSN
		}
		for _, d := range r.feed {
			if d.Seq > c.seq {
				c.seq = d.Seq
			}
		}
	}
	c.durable.Store(c.lsn)
}

// logicalFor returns (creating if needed) the logical partition for key values.
// Callers hold c.mu for writing, or are loading.
func (c *Container) logicalFor(values []any) (*logical, *Error) {
	key := PartitionKeyString(values)
	if lp, ok := c.logical[key]; ok {
		return lp, nil
	}
	e, err := epk.Compute(values, c.pkVersion)
	if err != nil {
		return nil, errBadRequest("invalid partition key: %v", err)
	}
	lp := &logical{key: key, values: values, epk: e, docs: map[string]*Doc{}, rng: c.rangeFor(e)}
	c.logical[key] = lp
	return lp, nil
}

// PartitionKeyString is the canonical form of partition key values, used as
// the logical partition's identity.
func PartitionKeyString(values []any) string {
	if len(values) == 1 {
		// The common case, a single plain string, without reflection.
		if v, ok := values[0].(string); ok && isPlainASCII(v) {
			return `["` + v + `"]`
		}
	}
	b, _ := json.Marshal(values)
	return string(b)
}

// isPlainASCII reports whether s encodes in JSON as itself: printable ASCII
// with nothing to escape (json.Marshal also escapes <, > and &).
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
