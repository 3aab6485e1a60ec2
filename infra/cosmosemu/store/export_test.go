package store

import (
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// WithLogTuning sets the write-ahead log's segment size and the log size
// below which it is never compacted (negative: never compacted), so tests
// can make segments seal and compactions run within a few writes.
func WithLogTuning(o Options, segmentLimit, compactMin int64) Options {
	o.log = walTuning{segmentLimit: segmentLimit, compactMin: compactMin}
	return o
}

// WithHooks sets test hooks: beforeSync runs on the log writer after a group
// of writes is logged (and visible in memory) and before it is synced;
// awaiting runs when an answer starts waiting for durability.
func WithHooks(o Options, beforeSync, awaiting func()) Options {
	o.hooks = hooks{beforeSync: beforeSync, awaiting: awaiting}
	return o
}

// LoggedBuckets recovers the log in dir (no engine on it may be open) and
// lists the buckets its state holds.
func LoggedBuckets(dir string) ([]string, error) {
	w, err := openWAL(dir, slog.New(slog.DiscardHandler), walTuning{compactMin: -1})
	if err != nil {
		return nil, err
	}
	names := w.recovered.bucketNames()
	return names, w.close()
}

// ToLegacyFormat turns a closed store's data directory into the earlier
// format: a bbolt file holding the state as of record checkpoint, beside
// the log segments, which still hold every record (the earlier recovery
// skipped those up to the checkpoint, as the current one does). The
// directory must hold segments only: no snapshot.
func ToLegacyFormat(dir string, checkpoint uint64) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	st := newLogState()
	for _, e := range entries {
		f, ok := parseLogName(e.Name())
		if !ok || f.snapshot {
			continue
		}
		if _, err := readLogFile(filepath.Join(dir, f.name), func(seq uint64, writes []write) {
			if seq <= checkpoint {
				for _, wr := range writes {
					st.apply(wr)
				}
			}
		}); err != nil {
			return err
		}
	}
	db, err := bolt.Open(filepath.Join(dir, LegacyFile), 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(func(tx *bolt.Tx) error {
		for name, kv := range st.buckets {
			b, err := tx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			for k, v := range kv {
				if err := b.Put([]byte(k), v); err != nil {
					return err
				}
			}
		}
		m, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		return m.Put(legacyCheckpointKey, binary.BigEndian.AppendUint64(nil, checkpoint))
	})
}
