package store

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// compaction is work for the compactor: turn the closed files, which hold
// every record up to seq, into one snapshot.
type compaction struct {
	files       []logFile
	seq         uint64
	liveAtStart int64 // the writer's live estimate when it handed the files over
}

type compactionResult struct {
	compaction
	snapshot logFile
	live     int64 // measured: the snapshot's writes
	err      error
}

// snapshotChunk is how many bytes of writes a snapshot's record holds
// (one item more at most).
const snapshotChunk = 1 << 20

// compactor runs compactions one at a time, beside the writer, and hands
// each result back to it.
func (w *wal) compactor() {
	defer close(w.compactDone)
	for job := range w.compactions {
		r := compactionResult{compaction: job}
		r.snapshot, r.live, r.err = w.compact(job)
		w.compacted <- r
	}
}

// compact reads a job's files back into a state, writes the state as a
// snapshot and deletes the files. The snapshot is complete before its name
// appears, so a crash at any point leaves either the files or the snapshot
// (recovery prefers the snapshot and deletes what it covers).
func (w *wal) compact(job compaction) (logFile, int64, error) {
	st := newLogState()
	var base uint64
	for _, f := range job.files {
		_, err := readLogFile(w.path(f.name), func(seq uint64, writes []write) {
			if !f.snapshot && seq <= base {
				return // before the snapshot, and in it
			}
			for _, wr := range writes {
				st.apply(wr)
			}
		})
		if err != nil {
			return logFile{}, 0, fmt.Errorf("read %s: %w", f.name, err)
		}
		if f.snapshot {
			base = f.seq
		}
	}
	snap, err := writeSnapshot(w.dir, st, job.seq)
	if err != nil {
		return logFile{}, 0, err
	}
	for _, f := range job.files {
		if err := os.Remove(w.path(f.name)); err != nil && !os.IsNotExist(err) {
			// Harmless: recovery skips what the snapshot covers and deletes it.
			w.log.Warn("cosmos store: could not delete a compacted log file", "file", f.name, "err", err)
		}
	}
	if err := syncDir(w.dir); err != nil {
		return logFile{}, 0, err
	}
	return snap, st.liveBytes(), nil
}

// writeSnapshot writes a state as the snapshot as of record seq: to a
// temporary name, synced, then renamed and the directory synced.
func writeSnapshot(dir string, st *logState, seq uint64) (logFile, error) {
	name := snapshotName(seq)
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return logFile{}, fmt.Errorf("create snapshot: %w", err)
	}
	n, err := writeSnapshotRecords(f, st, seq)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return logFile{}, fmt.Errorf("write snapshot %s: %w", name, err)
	}
	return logFile{name: name, bytes: n, snapshot: true, seq: seq}, nil
}

// writeSnapshotRecords writes every key of the state as puts, in records of
// about snapshotChunk bytes, and returns the bytes written.
func writeSnapshotRecords(f *os.File, st *logState, seq uint64) (int64, error) {
	bw := bufio.NewWriterSize(f, 1<<20)
	var rec []byte
	var writes []write
	var size, total int64
	flush := func() error {
		if len(writes) == 0 {
			return nil
		}
		rec = appendRecord(rec[:0], seq, writes)
		writes, size = writes[:0], 0
		total += int64(len(rec))
		_, err := bw.Write(rec)
		return err
	}
	for _, bucket := range st.bucketNames() {
		err := st.forEach(bucket, func(key string, value []byte) error {
			writes = append(writes, put(bucket, []byte(key), value))
			if size += writeSize(bucket, len(key), len(value)); size >= snapshotChunk {
				return flush()
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return total, bw.Flush()
}
