package store

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// LegacyFile is where stores before the log-only format kept their state as
// of their last checkpoint (a bbolt file), with the log segments written
// since. Recovery reads such a directory once and turns it into a snapshot
// of the new format (wal.go).
const LegacyFile = "cosmos.db"

// legacyCheckpointKey, in the meta bucket, held the sequence number of the
// last record applied to the bbolt file.
var legacyCheckpointKey = []byte("checkpoint")

// readLegacyStore reads the bbolt file's buckets into a state and returns
// the sequence number the file is current to; the segments after it are
// replayed on top, as the old format did.
func readLegacyStore(path string) (*logState, uint64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return nil, 0, fmt.Errorf("open the earlier format's store %s: %w", path, err)
	}
	defer db.Close()
	st := newLogState()
	var seq uint64
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			bucket := string(name)
			return b.ForEach(func(k, v []byte) error {
				if bucket == string(metaBucket) && string(k) == string(legacyCheckpointKey) {
					if len(v) == 8 {
						seq = binary.BigEndian.Uint64(v)
					}
					return nil
				}
				// bbolt's memory ends with the transaction: copy.
				st.apply(put(bucket, append([]byte(nil), k...), append([]byte(nil), v...)))
				return nil
			})
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read the earlier format's store %s: %w", path, err)
	}
	return st, seq, nil
}
