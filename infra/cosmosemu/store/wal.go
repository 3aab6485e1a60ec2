package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Durability has two layers:
//
//   - a write-ahead log: every write request (one item, or a whole batch) is
//     one checksummed record; the writer appends every request waiting when
//     it becomes free and makes them durable with ONE fdatasync (group commit),
//     then acknowledges them;
//   - a bbolt file holding the state as of a checkpoint: every few seconds the
//     records logged since the last checkpoint are applied to bbolt in one
//     transaction, and the log segments they came from are deleted.
//
// On start, records newer than the checkpoint are replayed into bbolt; a torn
// record at the tail of the log (a crash mid-append) was never acknowledged
// and is dropped. bbolt alone would cost two fsyncs per commit plus page
// copies; the log costs one fsync per group.
//
// Segments are zero-filled ahead of the records written into them
// (preallocChunk at a time), so a group commit overwrites blocks the file
// already has: fdatasync then flushes data only, without the journal commit
// that growing the file needs, which halves its cost on ext4 (measured in
// docs/benchmarks.md). A record header of zeros marks the end of the log.
// Checkpoints run every checkpointInterval without sealing the segment; a
// segment is sealed when full and deleted once a checkpoint covers it.

// metaBucket holds database, container and offer definitions and counters.
var metaBucket = []byte("meta")

// checkpointKey, in metaBucket, holds the sequence of the last record applied to bbolt.
var checkpointKey = []byte("checkpoint")

// Write kinds in log records.
const (
	writePut byte = iota
	writeDelete
	writeDropBucket
)

// write is one key change in one bucket.
type write struct {
	kind   byte
	bucket string
	key    []byte
	value  []byte
}

func put(bucket string, key, value []byte) write {
	return write{kind: writePut, bucket: bucket, key: key, value: value}
}
func del(bucket string, key []byte) write { return write{kind: writeDelete, bucket: bucket, key: key} }

// commitRequest is one atomic unit (a single item write or a whole batch).
type commitRequest struct {
	writes []write
	after  func() // runs once the request is durable, before its group's done is closed
}

// Tuning of group commit and checkpoints.
const (
	minGroup           = 8                      // a smaller group waits up to gatherWait for company
	gatherWait         = 400 * time.Microsecond // far less than the fsync it shares
	gatherStep         = 100 * time.Microsecond
	checkpointInterval = 2 * time.Second
	// checkpointFill is how full bbolt packs the pages it splits at a
	// checkpoint (its default is half). bbolt rewrites every page a
	// checkpoint touches, whole, so fuller pages mean fewer page writes:
	// half as many for runs of new keys (BenchmarkDurableOverhead's
	// page-writes/op), and fewer distinct pages for scattered ones.
	checkpointFill = 0.9
	segmentLimit   = 64 << 20
	preallocChunk  = 4 << 20
)

// zeroBlock is written ahead of the log's records to preallocate segments.
var zeroBlock [1 << 20]byte

type wal struct {
	dir     string
	db      *bolt.DB
	stopped chan struct{}
	log     *slog.Logger

	// The intake: requests wait in incoming, in submission order, for the
	// writer to take them as one group; all of them share groupDone, which
	// the writer closes once the group is durable. One close wakes the
	// whole group, and a request costs an append under mu instead of a
	// channel of its own and a send.
	mu        sync.Mutex
	incoming  []commitRequest
	groupDone chan struct{}
	closed    bool
	kick      chan struct{} // capacity 1: there is work (or the log is closing)

	// Owned by the writer goroutine.
	seg       *os.File
	segName   string
	segSize   int64         // bytes of records in seg
	segLimit  int64         // seg is sealed once it holds this many bytes
	ckptEvery time.Duration // how often logged writes are handed to the checkpointer
	zeroed    int64         // seg is zero-filled (or written) up to here
	seq       uint64
	buf       []byte   // the group's records, reused
	pending   []write  // logged since the last checkpoint hand-off
	sealed    []string // segments whose records are all in pending or handed off

	lagWarned  time.Time // last warning that the checkpointer is behind
	beforeSync func()    // test hook: the group is written, not yet synced

	checkpoints chan checkpoint
	ckptDone    chan struct{}

	commits  atomic.Int64 // group commits (one fsync each)
	requests atomic.Int64 // requests they carried
}

// checkpoint is work for the checkpointer: apply writes up to seq to bbolt,
// then delete segments.
type checkpoint struct {
	writes   []write
	seq      uint64
	segments []string
}

// walTuning overrides segmentLimit and checkpointInterval where set;
// beforeSync, when set, runs before every group's sync (tests).
type walTuning struct {
	segmentLimit       int64
	checkpointInterval time.Duration
	beforeSync         func()
}

func openWAL(dir string, log *slog.Logger, tune walTuning) (*wal, error) {
	if tune.segmentLimit <= 0 {
		tune.segmentLimit = segmentLimit
	}
	if tune.checkpointInterval <= 0 {
		tune.checkpointInterval = checkpointInterval
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "cosmos.db"), 0o600, &bolt.Options{
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 1 << 30, // reserve address space so growth does not remap
	})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	w := &wal{dir: dir, db: db, groupDone: make(chan struct{}), kick: make(chan struct{}, 1), stopped: make(chan struct{}),
		log: log, segLimit: tune.segmentLimit, ckptEvery: tune.checkpointInterval, beforeSync: tune.beforeSync, checkpoints: make(chan checkpoint, 4), ckptDone: make(chan struct{})}
	if err := w.recover(); err != nil {
		db.Close()
		return nil, err
	}
	if err := w.openSegment(); err != nil {
		db.Close()
		return nil, err
	}
	go w.checkpointer()
	go w.run()
	return w, nil
}

func segmentName(firstSeq uint64) string { return fmt.Sprintf("wal-%016x.log", firstSeq) }

func (w *wal) segments() ([]string, error) {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "wal-") && strings.HasSuffix(e.Name(), ".log") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out) // hex names of fixed width sort by first sequence
	return out, nil
}

// recover replays logged records newer than the checkpoint into bbolt.
func (w *wal) recover() error {
	var ckpt uint64
	if err := w.db.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		if v := m.Get(checkpointKey); len(v) == 8 {
			ckpt = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		return err
	}
	w.seq = ckpt
	segs, err := w.segments()
	if err != nil {
		return err
	}
	// Records after the checkpoint must run on without a gap, across
	// segments too: a sealed segment that ends early or a missing one is
	// damage, not a torn tail, and replaying past it would lose writes.
	var replay []write
	expect := ckpt + 1
	for i, name := range segs {
		last := i == len(segs)-1
		first, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "wal-"), ".log"), 16, 64)
		if err != nil {
			return fmt.Errorf("write-ahead log: unexpected segment name %s", name)
		}
		if first > expect {
			return fmt.Errorf("write-ahead log: records %d to %d are missing before %s", expect, first-1, name)
		}
		var gap error
		err = readSegment(filepath.Join(w.dir, name), func(seq uint64, writes []write) {
			if seq <= ckpt || gap != nil {
				return
			}
			if seq != expect {
				gap = fmt.Errorf("record %d follows record %d", seq, expect-1)
				return
			}
			expect++
			replay = append(replay, writes...)
		})
		if gap != nil {
			return fmt.Errorf("write-ahead log %s: %w", name, gap)
		}
		if err != nil && !(last && errors.Is(err, errTornRecord)) {
			return fmt.Errorf("write-ahead log %s: %w", name, err)
		}
	}
	w.seq = expect - 1
	if len(replay) > 0 || w.seq > ckpt {
		if err := w.apply(replay, w.seq); err != nil {
			return fmt.Errorf("replay write-ahead log: %w", err)
		}
		w.log.Info("cosmos store: replayed write-ahead log", "writes", len(replay), "through", w.seq)
	}
	for _, name := range segs {
		if err := os.Remove(filepath.Join(w.dir, name)); err != nil {
			return err
		}
	}
	// A removed torn segment must not come back beside the next one.
	return syncDir(w.dir)
}

// syncDir makes the directory's entries (created or removed files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

var errTornRecord = errors.New("torn record")

// readSegment calls fn for every whole record of a segment in order and
// reports errTornRecord when the segment ends inside a record. A header of
// zeros is the preallocated space after the last record: a clean end.
func readSegment(path string, fn func(seq uint64, writes []write)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var head [8]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return errTornRecord
		}
		n := binary.BigEndian.Uint32(head[:4])
		sum := binary.BigEndian.Uint32(head[4:])
		if n == 0 && sum == 0 {
			return nil
		}
		if n > 64<<20 {
			return errTornRecord
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return errTornRecord
		}
		if crc32.Checksum(payload, castagnoli) != sum {
			return errTornRecord
		}
		seq, writes, err := decodeRecord(payload)
		if err != nil {
			return errTornRecord
		}
		fn(seq, writes)
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord frames one request as a log record.
func appendRecord(b []byte, seq uint64, writes []write) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // length and checksum, filled below
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint32(b, uint32(len(writes)))
	for _, wr := range writes {
		b = append(b, wr.kind)
		b = binary.BigEndian.AppendUint16(b, uint16(len(wr.bucket)))
		b = append(b, wr.bucket...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(wr.key)))
		b = append(b, wr.key...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(wr.value)))
		b = append(b, wr.value...)
	}
	payload := b[start+8:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(payload, castagnoli))
	return b
}

func decodeRecord(p []byte) (uint64, []write, error) {
	bad := errors.New("malformed record")
	if len(p) < 12 {
		return 0, nil, bad
	}
	seq := binary.BigEndian.Uint64(p)
	n := binary.BigEndian.Uint32(p[8:])
	p = p[12:]
	const minWriteBytes = 1 + 2 + 4 + 4 // kind, bucket, key and value lengths
	if uint64(n) > uint64(len(p)/minWriteBytes) {
		return 0, nil, bad // a damaged count must not size an allocation
	}
	writes := make([]write, 0, n)
	take := func(size int) ([]byte, bool) {
		if len(p) < size {
			return nil, false
		}
		out := p[:size]
		p = p[size:]
		return out, true
	}
	for i := uint32(0); i < n; i++ {
		var wr write
		h, ok := take(3)
		if !ok {
			return 0, nil, bad
		}
		wr.kind = h[0]
		bucket, ok := take(int(binary.BigEndian.Uint16(h[1:])))
		if !ok {
			return 0, nil, bad
		}
		wr.bucket = string(bucket)
		kl, ok := take(4)
		if !ok {
			return 0, nil, bad
		}
		if wr.key, ok = take(int(binary.BigEndian.Uint32(kl))); !ok {
			return 0, nil, bad
		}
		vl, ok := take(4)
		if !ok {
			return 0, nil, bad
		}
		if wr.value, ok = take(int(binary.BigEndian.Uint32(vl))); !ok {
			return 0, nil, bad
		}
		writes = append(writes, wr)
	}
	if len(p) != 0 {
		return 0, nil, bad
	}
	return seq, writes, nil
}

func (w *wal) openSegment() error {
	name := segmentName(w.seq + 1)
	f, err := os.OpenFile(filepath.Join(w.dir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// The new file's directory entry must survive a crash too.
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.seg, w.segName, w.segSize, w.zeroed = f, name, 0, 0
	return nil
}

// preallocate zero-fills the segment far enough ahead to hold need more
// bytes of records. The group commit's fdatasync makes the new size durable
// together with the records, so this costs one growing sync per chunk.
func (w *wal) preallocate(need int64) {
	target := w.zeroed
	for target < w.segSize+need {
		target += preallocChunk
	}
	for off := w.zeroed; off < target; {
		n := min(int64(len(zeroBlock)), target-off)
		if _, err := w.seg.WriteAt(zeroBlock[:n], off); err != nil {
			w.fatal(err)
		}
		off += n
	}
	w.zeroed = target
}

// submit queues writes as one atomic request, after every request
// submitted before it; the returned channel is closed once they are durable
// (after has run by then). The caller waits on it outside its locks.
func (w *wal) submit(writes []write, after func()) <-chan struct{} {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		panic("cosmos store: write submitted to a closed write-ahead log")
	}
	w.incoming = append(w.incoming, commitRequest{writes: writes, after: after})
	done, first := w.groupDone, len(w.incoming) == 1
	w.mu.Unlock()
	if first {
		signal(w.kick)
	}
	return done
}

// signal wakes the writer waiting on ch unless it is already told.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// gather lets a small group wait up to gatherWait for company: a sync costs
// far more CPU than the wait, and under load the company comes. It polls
// in gatherSteps: a wait woken by the request that completes the group
// (and by one timer) made groups smaller under the HTTP bench's load, since
// a sleep of 100 µs lasts longer there, and smaller groups cost more syncs
// than the wake-ups saved (docs/benchmarks.md).
func (w *wal) gather() {
	n := w.queued()
	for waited := time.Duration(0); n > 0 && n < minGroup && waited < gatherWait; waited += gatherStep {
		time.Sleep(gatherStep)
		n = w.queued()
	}
}

// queued is the number of requests waiting in the intake.
func (w *wal) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.incoming)
}

// take returns every waiting request as a group, with the channel they
// wait on, and whether the log is closing; requests submitted from now on
// join the next group, in spare (emptied), so the two slices alternate.
func (w *wal) take(spare []commitRequest) ([]commitRequest, chan struct{}, bool) {
	clear(spare) // drop references to the last group's writes
	w.mu.Lock()
	defer w.mu.Unlock()
	group := w.incoming
	w.incoming = spare[:0]
	done := w.groupDone
	if len(group) > 0 {
		w.groupDone = make(chan struct{})
	}
	return group, done, w.closed
}

func (w *wal) run() {
	defer close(w.stopped)
	var group []commitRequest
	tick := time.NewTicker(w.ckptEvery)
	defer tick.Stop()
	for {
		select {
		case <-w.kick:
		case <-tick.C:
			w.handOff(false)
			continue
		}
		w.gather()
		var done chan struct{}
		var closed bool
		group, done, closed = w.take(group)
		if len(group) > 0 {
			w.commit(group)
			close(done)
		}
		if closed {
			w.handOff(true)
			close(w.checkpoints)
			<-w.ckptDone
			return
		}
	}
}

// commit writes a group's records to the log, syncs them, and runs their
// after callbacks in order.
func (w *wal) commit(group []commitRequest) {
	buf := w.buf[:0]
	for _, r := range group {
		w.seq++
		buf = appendRecord(buf, w.seq, r.writes)
		w.pending = append(w.pending, r.writes...)
	}
	w.buf = buf
	if w.segSize+int64(len(buf)) > w.zeroed {
		w.preallocate(int64(len(buf)))
	}
	if _, err := w.seg.WriteAt(buf, w.segSize); err != nil {
		w.fatal(err)
	}
	if w.beforeSync != nil {
		w.beforeSync()
	}
	if err := fdatasync(w.seg); err != nil {
		w.fatal(err)
	}
	w.segSize += int64(len(buf))
	w.commits.Add(1)
	w.requests.Add(int64(len(group)))
	for _, r := range group {
		if r.after != nil {
			r.after()
		}
	}
	if w.segSize >= w.segLimit {
		w.seal()
	}
}

func (w *wal) fatal(err error) {
	// Memory already holds these writes; continuing would serve data that a
	// restart loses. Stopping is the only honest answer.
	w.log.Error("cosmos store: write-ahead log failed; stopping", "err", err)
	panic(fmt.Sprintf("cosmos store: write-ahead log failed: %v", err))
}

// seal closes the full segment and starts the next one; the sealed segment
// is deleted once a checkpoint covers its records (all of them are in
// pending or handed off already).
func (w *wal) seal() {
	if err := w.seg.Close(); err != nil {
		w.fatal(err)
	}
	w.sealed = append(w.sealed, w.segName)
	if err := w.openSegment(); err != nil {
		w.fatal(err)
	}
}

// handOff passes what was logged since the last hand-off to the
// checkpointer. final (at shutdown) hands off synchronously and seals the
// segment, leaving no log behind a clean close.
func (w *wal) handOff(final bool) {
	if final {
		if err := w.seg.Close(); err != nil {
			w.fatal(err)
		}
		w.sealed = append(w.sealed, w.segName)
		w.checkpoints <- checkpoint{writes: w.pending, seq: w.seq, segments: w.sealed}
		return
	}
	if len(w.pending) == 0 {
		return
	}
	select {
	case w.checkpoints <- checkpoint{writes: w.pending, seq: w.seq, segments: w.sealed}:
		// The next interval likely logs as much: size for it at once.
		w.pending, w.sealed = make([]write, 0, len(w.pending)), nil
	default:
		// The checkpointer is behind: keep accumulating; nothing is lost,
		// the records stay in their segments until a checkpoint covers them.
		// Memory and log space grow meanwhile, so say so (once a minute).
		if now := time.Now(); now.Sub(w.lagWarned) > time.Minute {
			w.lagWarned = now
			w.log.Warn("cosmos store: checkpoints are behind the log", "pendingWrites", len(w.pending), "sealedSegments", len(w.sealed))
		}
	}
}

func (w *wal) checkpointer() {
	defer close(w.ckptDone)
	for c := range w.checkpoints {
		if err := w.apply(c.writes, c.seq); err != nil {
			w.fatal(err)
		}
		for _, name := range c.segments {
			if err := os.Remove(filepath.Join(w.dir, name)); err != nil && !os.IsNotExist(err) {
				w.log.Warn("cosmos store: could not delete a checkpointed log segment", "segment", name, "err", err)
			}
		}
	}
}

// apply writes a run of logged writes into bbolt and records the checkpoint.
// Between bucket drops, writes to different keys commute, so each such run
// is applied in key order with only the last write of every key: bbolt
// inserts into a node by shifting the keys after the new one, and nodes
// split only at commit, so thousands of random-order inserts into one
// transaction would cost quadratic copying.
func (w *wal) apply(writes []write, seq uint64) error {
	return w.db.Update(func(tx *bolt.Tx) error {
		for len(writes) > 0 {
			if writes[0].kind == writeDropBucket {
				if err := tx.DeleteBucket([]byte(writes[0].bucket)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
					return err
				}
				writes = writes[1:]
				continue
			}
			end := 1
			for end < len(writes) && writes[end].kind != writeDropBucket {
				end++
			}
			if err := applyRun(tx, writes[:end]); err != nil {
				return err
			}
			writes = writes[end:]
		}
		return tx.Bucket(metaBucket).Put(checkpointKey, binary.BigEndian.AppendUint64(nil, seq))
	})
}

// applyRun applies puts and deletes, latest per key, in key order.
func applyRun(tx *bolt.Tx, run []write) error {
	order := make([]int, len(run))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := &run[order[a]], &run[order[b]]
		if x.bucket != y.bucket {
			return x.bucket < y.bucket
		}
		return bytes.Compare(x.key, y.key) < 0
	})
	var b *bolt.Bucket
	var bName string
	for i, idx := range order {
		wr := &run[idx]
		if i+1 < len(order) {
			next := &run[order[i+1]]
			if next.bucket == wr.bucket && bytes.Equal(next.key, wr.key) {
				continue // a later write of the same key wins
			}
		}
		if b == nil || bName != wr.bucket {
			var err error
			if b, err = tx.CreateBucketIfNotExists([]byte(wr.bucket)); err != nil {
				return err
			}
			bName = wr.bucket
			b.FillPercent = checkpointFill
		}
		var err error
		if wr.kind == writeDelete {
			err = b.Delete(wr.key)
		} else {
			err = b.Put(wr.key, wr.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// close logs what is queued, checkpoints everything and closes bbolt.
func (w *wal) close() error {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if !already {
		signal(w.kick)
	}
	<-w.stopped
	if already {
		return nil
	}
	return w.db.Close()
}

// dropBucket queues the removal of a container's items and metadata keys,
// ordered after every write queued before it; done closes once it is durable.
func (w *wal) dropBucket(name string, metaDeletes [][]byte) (done <-chan struct{}) {
	writes := []write{{kind: writeDropBucket, bucket: name}}
	for _, k := range metaDeletes {
		writes = append(writes, del(string(metaBucket), k))
	}
	return w.submit(writes, nil)
}
