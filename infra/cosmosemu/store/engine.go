package store

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configures an Engine.
type Options struct {
	// Dir is the data directory; empty keeps everything in memory only.
	Dir string
	// DefaultPartitions is the number of physical partition key ranges a new
	// container gets unless its creation asks otherwise (at least 1).
	DefaultPartitions int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives operational messages; nil discards them.
	Log *slog.Logger

	// log overrides the write-ahead log's tuning (tests).
	log walTuning
	// hooks let tests hold the log and watch answers wait (export_test.go).
	hooks hooks
}

// hooks are test-only observation points; nil ones are skipped.
type hooks struct {
	// beforeSync runs on the log writer after a group is written to the log
	// and before it is synced: its writes are visible in memory, not durable.
	beforeSync func()
	// awaiting runs when an answer starts waiting for durability.
	awaiting func()
}

// Engine holds every database of one account.
type Engine struct {
	mu      sync.RWMutex
	dbs     map[string]*Database
	nextDB  uint32
	wal     *wal // nil in memory mode
	opts    Options
	closing chan struct{} // closed when Close starts: stops the TTL sweeper and waiting answers
	ttlDone chan struct{}
}

// Database is one Cosmos DB database.
type Database struct {
	engine     *Engine
	mu         sync.RWMutex
	meta       dbMeta
	containers map[string]*Container
	deleted    bool // set, under mu, when the database is deleted: nothing more is logged for it
}

type dbMeta struct {
	ID       string     `json:"id"`
	RID      string     `json:"rid"`
	Seq      uint32     `json:"seq"`
	TS       int64      `json:"ts"`
	ETag     string     `json:"etag"`
	NextColl uint32     `json:"nextColl"`
	Offer    *offerMeta `json:"offer,omitempty"`
}

type offerMeta struct {
	RID     string          `json:"rid"`
	Content json.RawMessage `json:"content"`
	TS      int64           `json:"ts"`
	ETag    string          `json:"etag"`
}

// Open starts an engine, loading any data in opts.Dir.
func Open(opts Options) (*Engine, error) {
	if opts.DefaultPartitions < 1 {
		opts.DefaultPartitions = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{dbs: map[string]*Database{}, opts: opts, closing: make(chan struct{}), ttlDone: make(chan struct{})}
	if opts.Dir != "" {
		tune := opts.log
		tune.beforeSync = opts.hooks.beforeSync
		w, err := openWAL(opts.Dir, opts.Log, tune)
		if err != nil {
			return nil, err
		}
		e.wal = w
		st := w.recovered
		w.recovered = nil
		if err := e.load(st); err != nil {
			w.close()
			return nil, err
		}
	}
	go e.sweepExpired()
	return e, nil
}

// Close stops background work and flushes the store.
func (e *Engine) Close() error {
	select {
	case <-e.closing:
		return nil
	default:
	}
	close(e.closing)
	<-e.ttlDone
	if e.wal != nil {
		return e.wal.close()
	}
	return nil
}

func (e *Engine) now() time.Time { return e.opts.Now() }

func ridString(b []byte) string {
	// Cosmos DB resource ids are base64 with '/' replaced by '-', so they are path safe.
	return strings.ReplaceAll(base64.StdEncoding.EncodeToString(b), "/", "-")
}

// newRIDBytes returns random resource id bytes: SDKs cache routing by
// container rid, so a recreated store must not reuse the ids of an old one.
func newRIDBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func docRID(db, coll uint32, seq uint64) string {
	var b [16]byte
	binary.LittleEndian.PutUint32(b[:4], db)
	binary.BigEndian.PutUint32(b[4:8], coll|0x80000000)
	binary.BigEndian.PutUint64(b[8:], seq)
	return ridString(b[:])
}

// makeETag formats a Cosmos DB-looking etag, quotes included, without fmt
// (it is built for every write).
func makeETag(kind byte, a uint32, n uint64) string {
	var b [48]byte
	out := append(b[:0], '"')
	out = appendHex(out, uint64(a), 8)
	out = append(out, '-')
	out = appendHex(out, uint64(kind), 2)
	out = append(out, "00-0000-0000-"...)
	out = appendHex(out, n, 12)
	return string(append(out, '"'))
}

func appendHex(b []byte, v uint64, width int) []byte {
	const digits = "0123456789abcdef"
	start := len(b)
	for i := 0; i < width; i++ {
		b = append(b, '0')
	}
	for i := len(b) - 1; i >= start && v > 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return b
}

// CreateDatabase creates a database; 409 if it exists.
func (e *Engine) CreateDatabase(id string, offer json.RawMessage) (*Database, error) {
	if err := validateResourceID(id); err != nil {
		return nil, err
	}
	e.mu.Lock()
	if _, ok := e.dbs[id]; ok {
		e.mu.Unlock()
		return nil, errConflict("database " + id)
	}
	e.nextDB++
	seq := e.nextDB
	ts := e.now().Unix()
	d := &Database{engine: e, containers: map[string]*Container{}, meta: dbMeta{
		ID: id, RID: ridString(newRIDBytes(4)), Seq: seq, TS: ts, ETag: makeETag(1, seq, uint64(ts)),
	}}
	if offer != nil {
		d.meta.Offer = &offerMeta{RID: offerRID(d.meta.RID), Content: offer, TS: ts, ETag: makeETag(3, seq, uint64(ts))}
	}
	// e.mu is held until the definition is durable, so no request finds the
	// database (or a 409 for it) before a crash could no longer undo it.
	e.dbs[id] = d
	d.persist()
	e.mu.Unlock()
	return d, nil
}

func offerRID(owner string) string {
	// Offers are addressed by rid only; derive a stable short one from the owner.
	h := uint32(2166136261)
	for i := 0; i < len(owner); i++ {
		h = (h ^ uint32(owner[i])) * 16777619
	}
	return ridString([]byte{byte(h), byte(h >> 8), byte(h >> 16), byte(h >> 24)})
}

// Database returns a database by id.
func (e *Engine) Database(id string) (*Database, error) {
	e.mu.RLock()
	d, ok := e.dbs[id]
	e.mu.RUnlock()
	if !ok {
		return nil, errNotFound("database " + id)
	}
	return d, nil
}

// Databases lists databases ordered by creation.
func (e *Engine) Databases() []*Database {
	e.mu.RLock()
	out := make([]*Database, 0, len(e.dbs))
	for _, d := range e.dbs {
		out = append(out, d)
	}
	e.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].meta.Seq < out[j].meta.Seq })
	return out
}

// DeleteDatabase removes a database and all its containers. The locks on
// the engine and the database are held until the removal is durable, so no
// request sees the database gone (or creates in it) before that.
func (e *Engine) DeleteDatabase(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.dbs[id]
	if !ok {
		return errNotFound("database " + id)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.containers {
		d.dropContainerLocked(c)
	}
	d.logLocked(del(string(metaBucket), dbKey(id)))()
	d.deleted = true
	delete(e.dbs, id)
	return nil
}

// ID is the database id.
func (d *Database) ID() string { return d.meta.ID }

// Properties returns the database resource as Cosmos DB returns it.
func (d *Database) Properties() map[string]any {
	return map[string]any{
		"id": d.meta.ID, "_rid": d.meta.RID, "_self": "dbs/" + d.meta.RID + "/",
		"_etag": d.meta.ETag, "_ts": d.meta.TS, "_colls": "colls/", "_users": "users/",
	}
}

// SelfLink is the database's rid-based link.
func (d *Database) SelfLink() string { return "dbs/" + d.meta.RID + "/" }

// RID is the database resource id.
func (d *Database) RID() string { return d.meta.RID }

func dbKey(id string) []byte           { return []byte("db\x00" + id) }
func collKey(db, id string) []byte     { return []byte("coll\x00" + db + "\x00" + id) }
func counterKey(collRID string) []byte { return []byte("ctr\x00" + collRID) }

// persist logs the database's definition and returns once it is durable.
func (d *Database) persist() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.persistLocked()
}

// persistLocked logs the definition while d.mu is held and waits for it, so
// no reader of d.meta sees a change before it is durable.
func (d *Database) persistLocked() {
	b, _ := json.Marshal(d.meta)
	d.logLocked(put(string(metaBucket), dbKey(d.meta.ID), b))()
}

// logLocked queues writes for this database while d.mu is held, so they
// reach the log in the order they were made and never after its deletion;
// the caller waits, after unlocking, with the function it returns.
func (d *Database) logLocked(writes ...write) (wait func()) {
	w := d.engine.wal
	if w == nil || d.deleted {
		return func() {}
	}
	done := w.submit(writes, nil)
	return func() { <-done }
}

// Offer returns the database's shared throughput offer, if provisioned.
func (d *Database) offer() *offerMeta {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.meta.Offer
}

// load rebuilds memory from the state the log recovered.
func (e *Engine) load(st *logState) error {
	var colls []containerMeta
	err := st.forEach(string(metaBucket), func(k string, v []byte) error {
		switch {
		case strings.HasPrefix(k, "db\x00"):
			var dm dbMeta
			if err := json.Unmarshal(v, &dm); err != nil {
				return fmt.Errorf("load database %q: %w", k, err)
			}
			e.dbs[dm.ID] = &Database{engine: e, meta: dm, containers: map[string]*Container{}}
			if dm.Seq > e.nextDB {
				e.nextDB = dm.Seq
			}
		case strings.HasPrefix(k, "coll\x00"):
			var cm containerMeta
			if err := json.Unmarshal(v, &cm); err != nil {
				return fmt.Errorf("load container %q: %w", k, err)
			}
			colls = append(colls, cm)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, cm := range colls {
		d, ok := e.dbs[cm.DB]
		if !ok {
			continue
		}
		c, err := newContainer(d, cm)
		if err != nil {
			return err
		}
		if ctr := st.get(string(metaBucket), counterKey(cm.RID)); len(ctr) == 16 {
			c.lsn = binary.BigEndian.Uint64(ctr[:8])
			c.seq = binary.BigEndian.Uint64(ctr[8:])
		}
		if err := st.forEach(cm.RID, func(_ string, v []byte) error { return c.loadItem(v) }); err != nil {
			return fmt.Errorf("load items of %s: %w", cm.ID, err)
		}
		c.finishLoad()
		d.containers[cm.ID] = c
	}
	return nil
}

func validateResourceID(id string) *Error {
	if id == "" {
		return errBadRequest("The input content is invalid because the required properties - 'id; ' - are missing")
	}
	if len(id) > 255 {
		return errBadRequest("Resource id must not exceed 255 characters.")
	}
	if strings.ContainsAny(id, "/\\?#") || strings.HasSuffix(id, " ") {
		return errBadRequest("The resource name %q is invalid: it must not contain '/', '\\\\', '?', '#' or end with a space.", id)
	}
	return nil
}

// Stats are counters of the durable write path.
type Stats struct {
	Commits  int64 // group commits (one log write and its fdatasync each)
	Requests int64 // write requests those commits carried
	// Compactions counts the log's compactions into a snapshot; LogBytes
	// is the log's size now and LiveBytes the writer's estimate of what a
	// snapshot of the current state would hold (wal.go).
	Compactions int64
	LogBytes    int64
	LiveBytes   int64
}

// Stats reports write-path counters; zero in memory mode.
func (e *Engine) Stats() Stats {
	w := e.wal
	if w == nil {
		return Stats{}
	}
	return Stats{Commits: w.commits.Load(), Requests: w.requests.Load(), Compactions: w.compacts.Load(),
		LogBytes: w.diskBytes.Load(), LiveBytes: w.liveReport.Load()}
}
