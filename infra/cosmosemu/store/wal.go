package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The log is the store. Every write request (one item, or a whole batch) is
// one checksummed record appended to the current segment; the writer
// appends every request waiting when it becomes free and makes them
// durable with ONE fdatasync (group commit), then acknowledges them. Memory
// holds the whole state, so nothing else is written per request: on start,
// the newest snapshot and the segments after it are read back in order.
//
// What is superseded (a replaced or deleted item, a counter written again)
// stays in the log as garbage until a compaction. The writer keeps an
// estimate of the live bytes (each write says how much it supersedes);
// once the log is over compactMin and more than twice the live bytes, it
// seals the segment and a compactor goroutine reads the closed files back
// into a state, writes it out as a new snapshot (to a temporary name,
// synced, then renamed) and deletes the files it covers. The log therefore
// stays within about twice the live data, and a store that only grows (an
// event store) is never rewritten at all: each item is written once. A
// B-tree checkpoint, the earlier design, wrote every item a second time
// (docs/benchmarks.md, durable against in-memory writes).
//
// Segments are zero-filled ahead of the records written into them
// (preallocChunk at a time), so a group commit overwrites blocks the file
// already has: fdatasync then flushes data only, without the journal commit
// that growing the file needs, which halves its cost on ext4 (measured in
// docs/benchmarks.md). A record header of zeros marks the end of the
// records. A torn record at the tail of the newest segment (a crash mid-
// append) was never acknowledged: recovery drops it and cuts the segment
// there; damage anywhere else stops the store from opening.

// metaBucket holds database, container and offer definitions and counters.
var metaBucket = []byte("meta")

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
	// seq, when set (an item's put), is logged as 8 bytes ahead of value:
	// the value read back is both. It spares copying the item's body,
	// which the log only references (published bodies are immutable).
	seq    uint64
	hasSeq bool
	// replaced is the size (writeSize) of the put this write supersedes:
	// the garbage it makes. Not logged; 0 when unknown, which only delays
	// a compaction, since each compaction measures the live bytes anew.
	replaced int64
}

func put(bucket string, key, value []byte) write {
	return write{kind: writePut, bucket: bucket, key: key, value: value}
}
func del(bucket string, key []byte) write { return write{kind: writeDelete, bucket: bucket, key: key} }

// liveDelta is how much a write changes the live bytes.
func (wr *write) liveDelta() int64 {
	if wr.kind == writePut {
		return writeSize(wr.bucket, len(wr.key), wr.valueLen()) - wr.replaced
	}
	return -wr.replaced
}

// valueLen is the length of the value as logged.
func (wr *write) valueLen() int {
	if wr.hasSeq {
		return 8 + len(wr.value)
	}
	return len(wr.value)
}

// commitRequest is one atomic unit (a single item write or a whole batch).
type commitRequest struct {
	writes []write
	after  func() // runs once the request is durable, before its group's done is closed
}

// Tuning of group commit, segments and compaction.
const (
	minGroup      = 8                      // a smaller group waits up to gatherWait for company
	gatherWait    = 400 * time.Microsecond // far less than the fsync it shares
	gatherStep    = 100 * time.Microsecond
	segmentLimit  = 64 << 20
	preallocChunk = 4 << 20
	// compactMin is the log size below which it is never compacted: a
	// small log reads back in moments whatever its garbage.
	compactMin = 64 << 20
)

// zeroBlock is written ahead of the log's records to preallocate segments.
var zeroBlock [1 << 20]byte

// logFile is a closed file of the log: a snapshot or a sealed segment.
type logFile struct {
	name     string
	bytes    int64  // of records
	snapshot bool   // a snapshot: the whole state as of seq
	seq      uint64 // a snapshot's last record; a segment's first
}

type wal struct {
	dir     string
	lock    *os.File // the data directory's lock, held while open
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
	seg        *os.File
	segName    string
	segFirst   uint64 // the first record the segment holds (or will)
	segSize    int64  // bytes of records in seg
	segLimit   int64  // seg is sealed once it holds this many bytes
	zeroed     int64  // seg is zero-filled (or written) up to here
	seq        uint64
	buf        []byte    // the group's records, reused
	files      []logFile // the closed files, oldest first: a snapshot, then sealed segments
	filesBytes int64     // their records' bytes
	live       int64     // estimated bytes of a snapshot of the current state
	compactMin int64     // negative: never compact
	compacting bool

	recovered  *logState // the state recovery read, until the engine takes it
	beforeSync func()    // test hook: the group is written, not yet synced

	compactions chan compaction       // capacity 1: at most one runs
	compacted   chan compactionResult // capacity 1
	compactDone chan struct{}

	commits    atomic.Int64 // group commits (one fsync each)
	requests   atomic.Int64 // requests they carried
	compacts   atomic.Int64 // compactions finished
	diskBytes  atomic.Int64 // the log's bytes of records, all files
	liveReport atomic.Int64 // live, for Stats
}

// walTuning overrides segmentLimit and compactMin where set (a negative
// compactMin turns compaction off); beforeSync, when set, runs before
// every group's sync (tests).
type walTuning struct {
	segmentLimit int64
	compactMin   int64
	beforeSync   func()
}

func openWAL(dir string, log *slog.Logger, tune walTuning) (*wal, error) {
	if tune.segmentLimit <= 0 {
		tune.segmentLimit = segmentLimit
	}
	if tune.compactMin == 0 {
		tune.compactMin = compactMin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDir(dir, log)
	if err != nil {
		return nil, err
	}
	w := &wal{dir: dir, lock: lock, groupDone: make(chan struct{}), kick: make(chan struct{}, 1), stopped: make(chan struct{}),
		log: log, segLimit: tune.segmentLimit, compactMin: tune.compactMin, beforeSync: tune.beforeSync,
		compactions: make(chan compaction, 1), compacted: make(chan compactionResult, 1), compactDone: make(chan struct{})}
	if err := w.recover(); err != nil {
		lock.Close()
		return nil, err
	}
	if err := w.openSegment(); err != nil {
		lock.Close()
		return nil, err
	}
	w.report()
	go w.compactor()
	go w.run()
	return w, nil
}

func segmentName(firstSeq uint64) string { return fmt.Sprintf("wal-%016x.log", firstSeq) }
func snapshotName(seq uint64) string     { return fmt.Sprintf("snapshot-%016x.log", seq) }

// parseLogName tells a log file by its name: a segment and its first
// record, or a snapshot and its last.
func parseLogName(name string) (logFile, bool) {
	for _, kind := range []struct {
		prefix   string
		snapshot bool
	}{{"wal-", false}, {"snapshot-", true}} {
		hex, ok := strings.CutPrefix(name, kind.prefix)
		if !ok || !strings.HasSuffix(hex, ".log") {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(hex, ".log"), 16, 64)
		if err != nil {
			return logFile{}, false
		}
		return logFile{name: name, snapshot: kind.snapshot, seq: seq}, true
	}
	return logFile{}, false
}

func (w *wal) path(name string) string { return filepath.Join(w.dir, name) }

// recover reads the newest snapshot (or a store of the earlier format) and
// replays the segments after it, leaving the state in w.recovered.
func (w *wal) recover() error {
	segs, snaps, obsolete, err := w.listLogFiles()
	if err != nil {
		return err
	}
	st, base, legacy, stale, err := w.readBase(snaps)
	if err != nil {
		return err
	}
	obsolete = append(obsolete, stale...)
	covered, err := w.replaySegments(segs, st, base)
	if err != nil {
		return err
	}
	obsolete = append(obsolete, covered...)
	if legacy {
		snap, err := writeSnapshot(w.dir, st, w.seq)
		if err != nil {
			return fmt.Errorf("convert the earlier format's store: %w", err)
		}
		for _, f := range w.files {
			obsolete = append(obsolete, f.name)
		}
		obsolete = append(obsolete, LegacyFile)
		w.files = []logFile{snap}
		w.log.Info("cosmos store: converted the data directory to the log-only format", "through", w.seq)
	}
	for _, name := range obsolete {
		if err := os.Remove(w.path(name)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	for _, f := range w.files {
		w.filesBytes += f.bytes
	}
	w.live = st.liveBytes()
	w.recovered = st
	// A removed torn segment must not come back beside the next one.
	return syncDir(w.dir)
}

// listLogFiles finds the segments and snapshots in the directory, each
// sorted by sequence, and the temporary files of snapshots a crash cut
// short.
func (w *wal) listLogFiles() (segs, snaps []logFile, partial []string, err error) {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			partial = append(partial, e.Name())
			continue
		}
		if f, ok := parseLogName(e.Name()); ok && f.snapshot {
			snaps = append(snaps, f)
		} else if ok {
			segs = append(segs, f)
		}
	}
	bySeq := func(files []logFile) { sort.Slice(files, func(i, j int) bool { return files[i].seq < files[j].seq }) }
	bySeq(segs)
	bySeq(snaps)
	return segs, snaps, partial, nil
}

// readBase reads the state the segments replay onto: the newest snapshot,
// else a store of the earlier format (legacy), else nothing; base is the
// last record it holds, stale the files it makes redundant.
func (w *wal) readBase(snaps []logFile) (st *logState, base uint64, legacy bool, stale []string, err error) {
	st = newLogState()
	_, statErr := os.Stat(w.path(LegacyFile))
	hasLegacy := statErr == nil
	if len(snaps) == 0 {
		if !hasLegacy {
			return st, 0, false, nil, nil
		}
		st, base, err = readLegacyStore(w.path(LegacyFile))
		return st, base, err == nil, nil, err
	}
	snap := snaps[len(snaps)-1]
	if snap.bytes, err = readLogFile(w.path(snap.name), func(_ uint64, writes []write) {
		for _, wr := range writes {
			st.apply(wr)
		}
	}); err != nil {
		return nil, 0, false, nil, fmt.Errorf("write-ahead log: snapshot %s: %w", snap.name, err)
	}
	w.files = append(w.files, snap)
	for _, old := range snaps[:len(snaps)-1] {
		stale = append(stale, old.name)
	}
	if hasLegacy {
		stale = append(stale, LegacyFile) // converted before a crash cut the clean-up short
	}
	return st, snap.seq, false, stale, nil
}

// replaySegments applies the segments' records after base to st, in order,
// cutting a torn tail off the newest, and returns the segments that hold
// nothing after base. Records after the base must run on without a gap,
// across segments too: a sealed segment that ends early or a missing one is
// damage, not a torn tail, and replaying past it would lose writes.
func (w *wal) replaySegments(segs []logFile, st *logState, base uint64) (covered []string, err error) {
	expect := base + 1
	for i, seg := range segs {
		if seg.seq > expect {
			return nil, fmt.Errorf("write-ahead log: records %d to %d are missing before %s", expect, seg.seq-1, seg.name)
		}
		var gap error
		var newest uint64
		n, err := readLogFile(w.path(seg.name), func(seq uint64, writes []write) {
			if gap != nil {
				return
			}
			newest = seq
			if seq <= base {
				return
			}
			if seq != expect {
				gap = fmt.Errorf("record %d follows record %d", seq, expect-1)
				return
			}
			expect++
			for _, wr := range writes {
				st.apply(wr)
			}
		})
		if gap != nil {
			return nil, fmt.Errorf("write-ahead log %s: %w", seg.name, gap)
		}
		if err != nil {
			if i < len(segs)-1 || !errors.Is(err, errTornRecord) {
				return nil, fmt.Errorf("write-ahead log %s: %w", seg.name, err)
			}
			// Cut the unacknowledged tail, so the segment reads cleanly to
			// its end once newer ones follow it.
			if err := truncateSynced(w.path(seg.name), n); err != nil {
				return nil, err
			}
			w.log.Warn("cosmos store: dropped a torn record at the log's tail (a write cut short by a crash, never acknowledged)", "segment", seg.name)
		}
		seg.bytes = n
		if newest <= base {
			covered = append(covered, seg.name)
			continue
		}
		w.files = append(w.files, seg)
	}
	w.seq = expect - 1
	return covered, nil
}

// truncateSynced cuts a file to size and makes that durable.
func truncateSynced(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
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

func (w *wal) openSegment() error {
	name := segmentName(w.seq + 1)
	f, err := os.OpenFile(w.path(name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// The new file's directory entry must survive a crash too.
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.seg, w.segName, w.segFirst, w.segSize, w.zeroed = f, name, w.seq+1, 0, 0
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
	for {
		select {
		case <-w.kick:
		case r := <-w.compacted:
			w.finishCompaction(r)
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
			w.closeSegment()
			close(w.compactions)
			<-w.compactDone
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
		for i := range r.writes {
			w.live += r.writes[i].liveDelta()
		}
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
	w.maybeCompact()
	w.report()
}

// report publishes the writer's sizes for Stats.
func (w *wal) report() {
	w.diskBytes.Store(w.filesBytes + w.segSize)
	w.liveReport.Store(w.live)
}

func (w *wal) fatal(err error) {
	// Memory already holds these writes; continuing would serve data that a
	// restart loses. Stopping is the only honest answer.
	w.log.Error("cosmos store: write-ahead log failed; stopping", "err", err)
	panic(fmt.Sprintf("cosmos store: write-ahead log failed: %v", err))
}

// closeSegment drops the segment's zero-filled space beyond its records
// and closes it. The records are synced already; should the cut not
// survive a crash, the zeros read as the end of the records anyway.
func (w *wal) closeSegment() {
	if err := w.seg.Truncate(w.segSize); err != nil {
		w.fatal(err)
	}
	if err := w.seg.Close(); err != nil {
		w.fatal(err)
	}
}

// seal closes the current segment and starts the next one.
func (w *wal) seal() {
	w.closeSegment()
	w.files = append(w.files, logFile{name: w.segName, bytes: w.segSize, seq: w.segFirst})
	w.filesBytes += w.segSize
	if err := w.openSegment(); err != nil {
		w.fatal(err)
	}
}

// maybeCompact starts a compaction when the log is over compactMin and
// holds more than twice the live bytes; it seals the segment first, so the
// compaction covers every record so far and writing goes on beside it.
func (w *wal) maybeCompact() {
	total := w.filesBytes + w.segSize
	if w.compacting || w.compactMin < 0 || total < w.compactMin || total <= 2*w.live {
		return
	}
	if w.segSize > 0 {
		w.seal()
	}
	w.compacting = true
	w.compactions <- compaction{files: slices.Clone(w.files), seq: w.seq, liveAtStart: w.live}
}

// finishCompaction replaces the files a compaction covered (the oldest
// ones: files only grow at the end meanwhile) by its snapshot.
func (w *wal) finishCompaction(r compactionResult) {
	w.compacting = false
	if r.err != nil {
		w.log.Error("cosmos store: compacting the log failed; it grows until the next start", "err", r.err)
		w.compactMin = -1
		return
	}
	w.files = append([]logFile{r.snapshot}, w.files[len(r.files):]...)
	w.filesBytes = 0
	for _, f := range w.files {
		w.filesBytes += f.bytes
	}
	// What was written during the compaction is on top of what it measured.
	w.live = r.live + (w.live - r.liveAtStart)
	w.compacts.Add(1)
	w.report()
}

// close logs what is queued, waits for a compaction under way and releases
// the directory.
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
	return w.lock.Close()
}

// dropBucket queues the removal of a container's items (size: their bytes
// in the log) and metadata keys, ordered after every write queued before
// it; done closes once it is durable.
func (w *wal) dropBucket(name string, size int64, metaDeletes [][]byte) (done <-chan struct{}) {
	writes := []write{{kind: writeDropBucket, bucket: name, replaced: size}}
	for _, k := range metaDeletes {
		writes = append(writes, del(string(metaBucket), k))
	}
	return w.submit(writes, nil)
}
