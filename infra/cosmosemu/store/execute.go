package store

import (
	"encoding/binary"
	"encoding/json"
)

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
//
// It goes in four steps: prepare (parse and check bodies, no lock), stage
// (decide every operation against the partition as the batch's earlier
// operations left it), publish (make the changes visible at once) and log
// (queue them to the write-ahead log in LSN order); the last three hold c.mu.
// The answer then waits, without the lock, until what it rests on is durable.
func (c *Container) Execute(pk PartitionKey, ops []Op) ([]Result, bool) {
	results := make([]Result, len(ops))
	preps := make([]*prepared, len(ops))
	if failed := c.prepareAll(pk, ops, preps, results); failed >= 0 {
		return failAll(results, failed), false
	}
	o := c.commit(pk, ops, preps, results, c.db.engine.now().Unix())
	if o.logged != nil {
		<-o.logged
	}
	if o.written {
		return results, true
	}
	return c.answerOnDurable(o.observed, results, o.ok)
}

// prepareAll parses and checks the bodies of writes into preps, which
// depends on no state; it returns the index of the first failing operation,
// or -1.
func (c *Container) prepareAll(pk PartitionKey, ops []Op, preps []*prepared, results []Result) int {
	for i, op := range ops {
		switch op.Kind {
		case OpCreate, OpUpsert, OpReplace:
		default:
			continue
		}
		p, err := c.prepare(op.Body, pk)
		if err != nil {
			results[i] = failure(err)
			return i
		}
		if op.Kind == OpReplace && op.ID != "" && op.ID != p.id {
			err := errBadRequest("The id in the URL (%s) and in the body (%s) differ.", truncate(op.ID, 64), truncate(p.id, 64))
			results[i] = failure(err)
			return i
		}
		preps[i] = p
	}
	return -1
}

// outcome is what commit leaves for Execute to do once c.mu is released.
type outcome struct {
	// written: the batch's changes are published; logged, when not nil, is
	// closed once they are durable.
	written bool
	logged  <-chan struct{}
	// observed is the newest change an answer that wrote nothing rests on,
	// and ok whether that answer is a success.
	observed uint64
	ok       bool
}

// commit stages the operations and, when every one succeeds and something
// changes, publishes and logs the changes, all under c.mu (released on
// every path by the deferred unlock). results receives every answer.
func (c *Container) commit(pk PartitionKey, ops []Op, preps []*prepared, results []Result, ts int64) outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleted {
		results[0] = failure(errNotFound("container " + c.meta.ID))
		failAll(results, 0)
		return outcome{}
	}
	lp, err := c.logicalFor(pk.Values)
	if err != nil {
		results[0] = failure(err)
		failAll(results, 0)
		return outcome{}
	}
	s := staging{c: c, lp: lp, pk: pk, ts: ts, lsn: c.lsn, seq: c.seq}
	// The batch's view and changes are locals passed down, not fields of s,
	// so that they stay on the stack.
	view := map[string]*Doc{}
	changes, failed := s.stageAll(ops, preps, results, view, make([]change, 0, len(ops)))
	if failed >= 0 {
		failAll(results, failed)
		return outcome{observed: lp.lsn}
	}
	if len(changes) == 0 {
		return outcome{observed: lp.lsn, ok: true}
	}
	writes := c.publish(lp, changes, s.lsn, s.seq)
	return outcome{written: true, logged: c.logChanges(writes, s.lsn, s.seq)}
}

// staging decides a batch's operations against its logical partition while
// c.mu is held. The batch's view (id -> its latest version, nil: deleted)
// shadows the stored items, and new versions take LSNs (and new items
// sequence numbers) after the container's last ones.
type staging struct {
	c        *Container
	lp       *logical
	pk       PartitionKey
	ts       int64
	lsn, seq uint64
}

// change is one staged write: doc is nil for a delete.
type change struct {
	id  string
	doc *Doc
}

// stageAll decides every operation in order, appending each write's change
// to changes; it returns them and the index of the first operation that
// fails (a 304 is no failure), or -1.
func (s *staging) stageAll(ops []Op, preps []*prepared, results []Result, view map[string]*Doc, changes []change) ([]change, int) {
	for i, op := range ops {
		var res Result
		var ch change
		switch op.Kind {
		case OpRead:
			res = s.read(op, view)
		case OpCreate, OpUpsert, OpReplace:
			res, ch = s.write(op, preps[i], view)
		case OpDelete:
			res, ch = s.delete(op, view)
		case OpPatch:
			res, ch = s.patch(op, view)
		default:
			res = failure(errBadRequest("Unknown operation type %q.", op.Kind))
		}
		results[i] = res
		if res.Err != nil {
			return changes, i
		}
		if ch.id != "" {
			view[ch.id] = ch.doc
			changes = append(changes, ch)
		}
	}
	return changes, -1
}

// lookup returns the item as the batch sees it; expired items count as
// absent unless expiredToo.
func (s *staging) lookup(view map[string]*Doc, id string, expiredToo bool) *Doc {
	if d, ok := view[id]; ok {
		return d
	}
	d := s.lp.docs[id]
	if d != nil && !expiredToo && d.Expires != 0 && d.Expires <= s.ts {
		return nil
	}
	return d
}

func (s *staging) read(op Op, view map[string]*Doc) Result {
	cur := s.lookup(view, op.ID, op.expired)
	switch {
	case cur == nil:
		return failure(errNotFound("item " + op.ID))
	case op.IfNoneMatch != "" && (op.IfNoneMatch == cur.ETag || op.IfNoneMatch == "*"):
		return Result{Status: 304, Doc: cur}
	}
	return Result{Status: 200, Doc: cur}
}

// write stages a create, upsert or replace of a prepared body.
func (s *staging) write(op Op, p *prepared, view map[string]*Doc) (Result, change) {
	cur := s.lookup(view, p.id, false)
	switch {
	case op.Kind == OpCreate && cur != nil:
		return failure(errConflict("item " + p.id)), change{}
	case op.Kind == OpReplace && cur == nil:
		return failure(errNotFound("item " + p.id)), change{}
	case op.IfMatch != "" && (cur == nil || cur.ETag != op.IfMatch):
		return failure(errPrecondition()), change{}
	}
	if cur != nil {
		d := s.version(p, cur.Seq)
		return Result{Status: 200, Doc: d}, change{p.id, d}
	}
	s.seq++
	d := s.version(p, s.seq)
	return Result{Status: 201, Doc: d}, change{p.id, d}
}

// existing returns the item an operation addresses by id, or the 404 or
// 412 to answer when it is absent or its etag does not match.
func (s *staging) existing(op Op, view map[string]*Doc) (*Doc, *Error) {
	cur := s.lookup(view, op.ID, op.expired)
	switch {
	case cur == nil:
		return nil, errNotFound("item " + op.ID)
	case op.IfMatch != "" && cur.ETag != op.IfMatch:
		return nil, errPrecondition()
	}
	return cur, nil
}

func (s *staging) delete(op Op, view map[string]*Doc) (Result, change) {
	cur, err := s.existing(op, view)
	switch {
	case err != nil:
		return failure(err), change{}
	case op.expired && (cur.Expires == 0 || cur.Expires > s.ts):
		// The TTL sweeper found this item expired, but it has been
		// written again since: the new version stays.
		return failure(errPrecondition()), change{}
	}
	s.lsn++
	return Result{Status: 204}, change{id: op.ID}
}

func (s *staging) patch(op Op, view map[string]*Doc) (Result, change) {
	cur, err := s.existing(op, view)
	if err != nil {
		return failure(err), change{}
	}
	body, err := applyPatch(cur, op.Patch, s.c.pkPaths)
	if err != nil {
		return failure(err), change{}
	}
	p, err := s.c.prepare(body, s.pk)
	if err != nil {
		return failure(err), change{}
	}
	d := s.version(p, cur.Seq)
	return Result{Status: 200, Doc: d}, change{p.id, d}
}

// version builds the new version of an item at the next LSN.
func (s *staging) version(p *prepared, seq uint64) *Doc {
	s.lsn++
	d := s.c.finish(p, seq, s.lsn, s.ts)
	d.PKKey = s.lp.key
	return d
}

// publish makes every staged change visible at once and returns the log
// writes that make them durable (none in memory).
func (c *Container) publish(lp *logical, changes []change, lsn, seq uint64) []write {
	var writes []write
	if c.db.engine.wal != nil {
		writes = make([]write, 0, len(changes)+1)
	}
	for _, ch := range changes {
		old := lp.docs[ch.id]
		if old != nil {
			old.dead, old.deadAt = true, lsn
			lp.rng.garbage++
			if old.Expires != 0 {
				c.expiring--
			}
		}
		if ch.doc == nil {
			delete(lp.docs, ch.id)
		} else {
			lp.docs[ch.id] = ch.doc
			lp.rng.feed = append(lp.rng.feed, ch.doc)
			if ch.doc.Expires != 0 {
				c.expiring++
			}
		}
		if writes != nil {
			writes = append(writes, c.itemWrite(lp.key, ch, old))
		}
	}
	c.lsn, c.seq = lsn, seq
	lp.lsn, lp.rng.lsn = lsn, lsn
	c.maybeCompact(lp.rng)
	return writes
}

// itemWrite is the log record of one change: the item's sequence number and
// body under its partition key and id, or the key's removal; it supersedes
// the record of old, the version it replaces, if any.
func (c *Container) itemWrite(pkKey string, ch change, old *Doc) write {
	key := []byte(pkKey + "\x00" + ch.id)
	var wr write
	if ch.doc == nil {
		wr = del(c.meta.RID, key)
	} else {
		wr = put(c.meta.RID, key, ch.doc.Body)
		wr.seq, wr.hasSeq = ch.doc.Seq, true
	}
	if old != nil {
		wr.replaced = itemWriteSize(c.meta.RID, pkKey, ch.id, old)
	}
	return wr
}

// itemWriteSize is the size of the record itemWrite makes of d.
func itemWriteSize(rid, pkKey, id string, d *Doc) int64 {
	return writeSize(rid, len(pkKey)+1+len(id), 8+len(d.Body))
}

// logChanges queues published writes, with the container's counters, to the
// log while c.mu is held, so they enter it in LSN order; it returns a channel
// closed once they are durable. In memory they are durable at once (nil).
func (c *Container) logChanges(writes []write, lsn, seq uint64) <-chan struct{} {
	w := c.db.engine.wal
	if w == nil {
		c.markDurable(lsn)
		return nil
	}
	ctr := make([]byte, 16)
	binary.BigEndian.PutUint64(ctr, lsn)
	binary.BigEndian.PutUint64(ctr[8:], seq)
	counter := put(string(metaBucket), counterKey(c.meta.RID), ctr)
	counter.replaced = counter.liveDelta() // the previous counters
	writes = append(writes, counter)
	return w.submit(writes, func() { c.markDurable(lsn) })
}

// answerOnDurable returns an answer that writes nothing once the state it
// was decided on, up to observed, is durable: a read, a 304, or a failure
// such as 404, 409 or 412 (and the 424s beside it).
func (c *Container) answerOnDurable(observed uint64, results []Result, ok bool) ([]Result, bool) {
	if err := c.awaitDurable(observed); err != nil {
		for i := range results {
			results[i] = failure(err)
		}
		return results, false
	}
	return results, ok
}

// failure is the answer of an operation that failed with err.
func failure(err *Error) Result { return Result{Status: err.Status, Err: err} }

func failAll(results []Result, failed int) []Result {
	for i := range results {
		if i != failed {
			results[i] = failure(errf(424, "FailedDependency", "The operation failed because another operation in the batch failed."))
		}
	}
	return results
}
