package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"

	"orderctx/infra/cosmosemu/epk"
)

// Limits Cosmos DB enforces on items.
const (
	MaxItemBytes = 2 * 1024 * 1024
	MaxIDLength  = 1023
)

// PartitionKey identifies a logical partition as a request names it.
type PartitionKey struct {
	Values []any
	Key    string
}

// NewPartitionKey builds a PartitionKey from decoded component values.
func NewPartitionKey(values []any) PartitionKey {
	return PartitionKey{Values: values, Key: PartitionKeyString(values)}
}

// prepared is an item body checked and stripped of system properties,
// waiting for its LSN-dependent system properties.
type prepared struct {
	id     string
	prefix []byte // the JSON object without its closing brace
	ttl    []byte // the raw "ttl" property, if any
}

func (c *Container) pkValuesFromTop(top map[string]json.RawMessage) ([]any, error) {
	return c.pkValues(func(name string) ([]byte, bool) {
		raw, ok := top[name]
		return raw, ok
	})
}

// pkValues extracts the partition key values of an item given a lookup of
// its top-level properties.
func (c *Container) pkValues(get func(string) ([]byte, bool)) ([]any, error) {
	values := make([]any, len(c.pkPaths))
	for i, path := range c.pkPaths {
		raw, ok := get(path[0])
		if !ok {
			values[i] = epk.Undefined{}
			continue
		}
		var v any
		if len(path) == 1 && len(raw) > 1 && raw[0] == '"' && plainString(raw) {
			v = string(raw[1 : len(raw)-1])
		} else if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		for _, seg := range path[1:] {
			m, ok := v.(map[string]any)
			if !ok {
				v = epk.Undefined{}
				break
			}
			if v, ok = m[unescapePathSegment(seg)]; !ok {
				v = epk.Undefined{}
				break
			}
		}
		switch v.(type) {
		case map[string]any, []any:
			// Cosmos DB treats an object or array at the key path as undefined.
			v = epk.Undefined{}
		}
		values[i] = v
	}
	return values, nil
}

// plainString reports whether a raw JSON string literal has no escapes or
// non-ASCII bytes, so its content can be taken as is.
func plainString(raw []byte) bool {
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func unescapePathSegment(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// prepare validates an item body against the partition key the request names.
func (c *Container) prepare(body []byte, pk PartitionKey) (*prepared, *Error) {
	if len(body) > MaxItemBytes {
		return nil, errf(413, "RequestEntityTooLarge", "Request size is too large: an item is at most %d bytes.", MaxItemBytes)
	}
	members, err := scanObject(body)
	if err != nil {
		return nil, errBadRequest("The input content is invalid: the item must be a JSON object (%v).", err)
	}
	var id string
	var idRaw, ttl []byte
	hasSystem := false
	for _, m := range members {
		switch {
		case m.key == "id":
			idRaw = m.raw
		case m.key == "ttl":
			ttl = m.raw
		case len(m.key) > 0 && m.key[0] == '_' && isSystemProp(m.key):
			hasSystem = true
		}
	}
	if idRaw == nil || idRaw[0] != '"' {
		return nil, errBadRequest("The input content is invalid because the required properties - 'id; ' - are missing")
	}
	if plainString(idRaw) {
		id = string(idRaw[1 : len(idRaw)-1])
	} else if json.Unmarshal(idRaw, &id) != nil {
		return nil, errBadRequest("The id is not a valid string.")
	}
	// Like Cosmos DB, any id of 1 to 1023 characters is stored; ids with '/',
	// '\\', '#', percent signs or trailing spaces cannot be addressed by
	// point operations afterwards (see gatewaySegments in the server).
	if id == "" || len(id) > MaxIDLength {
		return nil, errBadRequest("The id %q is invalid: it must be 1 to %d characters.", truncate(id, 64), MaxIDLength)
	}
	values, verr := c.pkValues(func(name string) ([]byte, bool) {
		for _, m := range members {
			if m.key == name {
				return m.raw, true
			}
		}
		return nil, false
	})
	if verr != nil {
		return nil, errBadRequest("The partition key value in the item is invalid: %v", verr)
	}
	if PartitionKeyString(values) != pk.Key {
		return nil, errBadRequest("PartitionKey extracted from document doesn't match the one specified in the header. Learn more: https://aka.ms/CosmosDB/sql/errors/wrong-pk-value")
	}
	p := &prepared{id: id, ttl: ttl}
	if hasSystem {
		// Rebuild without the stale system properties the client echoed back.
		top := make(map[string]json.RawMessage, len(members))
		for _, m := range members {
			top[m.key] = m.raw
		}
		stripSystem(top)
		b, _ := json.Marshal(top)
		p.prefix = b[:len(b)-1]
	} else {
		trimmed := bytes.TrimRight(body, " \t\r\n")
		p.prefix = append(make([]byte, 0, len(trimmed)+160), trimmed[:len(trimmed)-1]...)
	}
	return p, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// finish appends the system properties; called under c.mu with the new LSN.
func (c *Container) finish(p *prepared, seq, lsn uint64, ts int64) *Doc {
	etag := makeETag(4, c.meta.Seq, lsn)
	b := bytes.TrimRight(p.prefix, " \t\r\n")
	if len(b) > 1 {
		b = append(b, ',')
	}
	rid := docRID(c.meta.DBSeq, c.meta.Seq, seq)
	b = append(b, `"_rid":"`...)
	b = append(b, rid...)
	b = append(b, `","_self":"`...)
	b = append(b, c.SelfLink()...)
	b = append(b, "docs/"...)
	b = append(b, rid...)
	b = append(b, `/","_etag":`...)
	b = strconv.AppendQuote(b, etag)
	b = append(b, `,"_attachments":"attachments/","_ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"_lsn":`...)
	b = strconv.AppendUint(b, lsn, 10)
	b = append(b, '}')
	d := &Doc{ID: p.id, Body: b, LSN: lsn, TS: ts, Seq: seq, ETag: etag}
	d.Expires = c.expiryOf(p.ttl, ts)
	return d
}

// expiryOf applies Cosmos DB's TTL rules: the container's defaultTtl turns TTL
// on; an item's own ttl overrides it (-1: never expires).
func (c *Container) expiryOf(raw []byte, ts int64) int64 {
	if c.ttl == nil {
		return 0
	}
	ttl := *c.ttl
	if raw != nil {
		var own float64
		if json.Unmarshal(raw, &own) == nil && own != 0 {
			ttl = int64(own)
		}
	}
	if ttl <= 0 {
		return 0
	}
	return ts + ttl
}

// ReadItem returns the current version of an item, once that version (or,
// for a 404, the partition's last change) is durable.
func (c *Container) ReadItem(pk PartitionKey, id string) (*Doc, error) {
	now := c.db.engine.now().Unix()
	c.mu.RLock()
	lp, ok := c.logical[pk.Key]
	if !ok {
		c.mu.RUnlock()
		return nil, errNotFound("item " + id)
	}
	d, ok := lp.docs[id]
	observed := lp.lsn
	if ok {
		observed = d.LSN // the item alone: later changes to others do not matter
	}
	c.mu.RUnlock()
	if err := c.awaitDurable(observed); err != nil {
		return nil, err
	}
	if !ok || (d.Expires != 0 && d.Expires <= now) {
		return nil, errNotFound("item " + id)
	}
	return d, nil
}

// Write kinds for single-item and batch operations.
const (
	OpCreate  = "Create"
	OpUpsert  = "Upsert"
	OpReplace = "Replace"
	OpDelete  = "Delete"
	OpRead    = "Read"
	OpPatch   = "Patch"
)

// Op is one item operation, alone or inside a transactional batch.
type Op struct {
	Kind    string
	ID      string          // Read, Replace, Delete, Patch
	Body    []byte          // Create, Upsert, Replace
	Patch   json.RawMessage // Patch: {"operations":[...],"condition":...} or the bare array
	IfMatch string
	// IfNoneMatch on a read answers 304 when the etag still matches.
	IfNoneMatch string
	// expired lets the TTL sweeper address items that reads already hide.
	expired bool
}

// Result is the outcome of one operation.
type Result struct {
	Status int
	Doc    *Doc // the written or read item; nil for deletes and failures
	Err    *Error
}

// Execute runs operations atomically in one logical partition: either every
// operation succeeds and all writes commit together, or nothing is written
// and the failing operation's error is reported with 424 for the others.
// It returns after the writes, and the state the operations read, are durable.
func (c *Container) Execute(pk PartitionKey, ops []Op) ([]Result, bool) {
	// Parse and validate bodies outside the lock; they do not depend on state.
	preps := make([]*prepared, len(ops))
	results := make([]Result, len(ops))
	failed := -1
	for i, op := range ops {
		switch op.Kind {
		case OpCreate, OpUpsert, OpReplace:
			p, err := c.prepare(op.Body, pk)
			if err != nil {
				results[i] = Result{Status: err.Status, Err: err}
				failed = i
				break
			}
			if op.Kind == OpReplace && op.ID != "" && op.ID != p.id {
				err := errBadRequest("The id in the URL (%s) and in the body (%s) differ.", truncate(op.ID, 64), truncate(p.id, 64))
				results[i] = Result{Status: 400, Err: err}
				failed = i
			}
			preps[i] = p
		}
		if failed >= 0 {
			break
		}
	}
	if failed >= 0 {
		return failAll(results, failed), false
	}

	now := c.db.engine.now()
	ts := now.Unix()
	c.mu.Lock()
	if c.deleted {
		c.mu.Unlock()
		results[0] = Result{Status: 404, Err: errNotFound("container " + c.meta.ID)}
		return failAll(results, 0), false
	}
	lp, err := c.logicalFor(pk.Values)
	if err != nil {
		c.mu.Unlock()
		results[0] = Result{Status: 400, Err: err.(*Error)}
		return failAll(results, 0), false
	}
	// staged holds this batch's view of the partition: id -> doc (nil = deleted).
	staged := map[string]*Doc{}
	lookup := func(id string, expiredToo bool) *Doc {
		if d, ok := staged[id]; ok {
			return d
		}
		d := lp.docs[id]
		if d != nil && !expiredToo && d.Expires != 0 && d.Expires <= ts {
			return nil
		}
		return d
	}
	type change struct {
		id  string
		doc *Doc
	}
	var changes []change
	lsn, seq := c.lsn, c.seq
	for i, op := range ops {
		cur := lookup(op.ID, op.expired)
		var res Result
		switch op.Kind {
		case OpRead:
			switch {
			case cur == nil:
				res = Result{Status: 404, Err: errNotFound("item " + op.ID)}
			case op.IfNoneMatch != "" && (op.IfNoneMatch == cur.ETag || op.IfNoneMatch == "*"):
				res = Result{Status: 304, Doc: cur}
			default:
				res = Result{Status: 200, Doc: cur}
			}
		case OpCreate, OpUpsert, OpReplace:
			p := preps[i]
			cur = lookup(p.id, false)
			status := 201
			switch {
			case op.Kind == OpCreate && cur != nil:
				res = Result{Status: 409, Err: errConflict("item " + p.id)}
			case op.Kind == OpReplace && cur == nil:
				res = Result{Status: 404, Err: errNotFound("item " + p.id)}
			case op.IfMatch != "" && (cur == nil || cur.ETag != op.IfMatch):
				res = Result{Status: 412, Err: errPrecondition()}
			}
			if res.Err != nil {
				break
			}
			if cur != nil {
				status = 200
			}
			lsn++
			s := seq + 1
			if cur != nil {
				s = cur.Seq
			} else {
				seq++
			}
			d := c.finish(p, s, lsn, ts)
			d.PKKey = lp.key
			staged[p.id] = d
			changes = append(changes, change{p.id, d})
			res = Result{Status: status, Doc: d}
		case OpDelete:
			switch {
			case cur == nil:
				res = Result{Status: 404, Err: errNotFound("item " + op.ID)}
			case op.IfMatch != "" && cur.ETag != op.IfMatch:
				res = Result{Status: 412, Err: errPrecondition()}
			case op.expired && (cur.Expires == 0 || cur.Expires > ts):
				// The TTL sweeper found this item expired, but it has been
				// written again since: the new version stays.
				res = Result{Status: 412, Err: errPrecondition()}
			default:
				lsn++
				staged[op.ID] = nil
				changes = append(changes, change{op.ID, nil})
				res = Result{Status: 204}
			}
		case OpPatch:
			switch {
			case cur == nil:
				res = Result{Status: 404, Err: errNotFound("item " + op.ID)}
			case op.IfMatch != "" && cur.ETag != op.IfMatch:
				res = Result{Status: 412, Err: errPrecondition()}
			default:
				body, perr := applyPatch(cur, op.Patch, c.pkPaths)
				if perr != nil {
					res = Result{Status: perr.Status, Err: perr}
					break
				}
				p, perr := c.prepare(body, pk)
				if perr != nil {
					res = Result{Status: perr.Status, Err: perr}
					break
				}
				lsn++
				d := c.finish(p, cur.Seq, lsn, ts)
				d.PKKey = lp.key
				staged[p.id] = d
				changes = append(changes, change{p.id, d})
				res = Result{Status: 200, Doc: d}
			}
		default:
			res = Result{Status: 400, Err: errBadRequest("Unknown operation type %q.", op.Kind)}
		}
		results[i] = res
		if res.Err != nil && res.Status != 304 {
			observed := lp.lsn
			c.mu.Unlock()
			return c.answerOnDurable(observed, failAll(results, i), false)
		}
	}
	if len(changes) == 0 {
		observed := lp.lsn
		c.mu.Unlock()
		return c.answerOnDurable(observed, results, true)
	}

	// Publish: every change of the batch becomes visible at once.
	var writes []write
	if c.db.engine.wal != nil {
		writes = make([]write, 0, len(changes)+1)
	}
	for _, ch := range changes {
		if old := lp.docs[ch.id]; old != nil {
			old.dead, old.deadAt = true, lsn
			lp.rng.garbage++
			if old.Expires != 0 {
				c.expiring--
			}
		}
		key := []byte(lp.key + "\x00" + ch.id)
		if ch.doc == nil {
			delete(lp.docs, ch.id)
			if writes != nil {
				writes = append(writes, del(c.meta.RID, key))
			}
			continue
		}
		lp.docs[ch.id] = ch.doc
		lp.rng.feed = append(lp.rng.feed, ch.doc)
		if ch.doc.Expires != 0 {
			c.expiring++
		}
		if writes != nil {
			v := make([]byte, 8+len(ch.doc.Body))
			binary.BigEndian.PutUint64(v, ch.doc.Seq)
			copy(v[8:], ch.doc.Body)
			writes = append(writes, put(c.meta.RID, key, v))
		}
	}
	c.lsn, c.seq = lsn, seq
	lp.lsn, lp.rng.lsn = lsn, lsn
	c.maybeCompact(lp.rng)
	var done chan struct{}
	if w := c.db.engine.wal; w != nil {
		ctr := make([]byte, 16)
		binary.BigEndian.PutUint64(ctr, lsn)
		binary.BigEndian.PutUint64(ctr[8:], seq)
		writes = append(writes, put(string(metaBucket), counterKey(c.meta.RID), ctr))
		done = make(chan struct{})
		w.submit(&commitRequest{writes: writes, done: done, after: func() { c.markDurable(lsn) }})
	} else {
		c.markDurable(lsn)
	}
	c.mu.Unlock()
	if done != nil {
		<-done
	}
	return results, true
}

// answerOnDurable returns an answer that writes nothing once the state it
// was decided on, up to observed, is durable: a read, a 304, or a failure
// such as 404, 409 or 412 (and the 424s beside it).
func (c *Container) answerOnDurable(observed uint64, results []Result, ok bool) ([]Result, bool) {
	if err := c.awaitDurable(observed); err != nil {
		for i := range results {
			results[i] = Result{Status: err.Status, Err: err}
		}
		return results, false
	}
	return results, ok
}

func failAll(results []Result, failed int) []Result {
	for i := range results {
		if i != failed {
			results[i] = Result{Status: 424, Err: errf(424, "FailedDependency", "The operation failed because another operation in the batch failed.")}
		}
	}
	return results
}

// maybeCompact drops dead feed entries once they outnumber live ones. An
// entry whose replacement is not durable yet stays: the change feed still
// owes it to its readers (see ReadFeed).
func (c *Container) maybeCompact(r *prange) {
	if r.garbage < 1024 || r.garbage*2 < len(r.feed) {
		return
	}
	r.feed, r.garbage = c.withoutSuperseded(r.feed)
}

// withoutSuperseded returns the feed entries that are live or whose
// replacement is not durable yet, and how many of those are dead.
func (c *Container) withoutSuperseded(feed []*Doc) (kept []*Doc, dead int) {
	durable := c.durable.Load()
	kept = make([]*Doc, 0, len(feed))
	for _, d := range feed {
		switch {
		case !d.dead:
			kept = append(kept, d)
		case d.deadAt > durable:
			kept = append(kept, d)
			dead++
		}
	}
	return kept, dead
}
