package store

import (
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A checkpoint applies each key's last write, whatever the order of the
// run, and a bucket drop separates what came before it from what follows.
func TestCheckpointAppliesTheLastWriteOfEachKey(t *testing.T) {
	t.Parallel()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "x.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := &wal{db: db}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(metaBucket); return err }); err != nil {
		t.Fatal(err)
	}
	k := func(s string) []byte { return []byte(s) }
	writes := []write{
		put("b", k("z"), k("1")),
		put("a", k("k"), k("1")),
		put("b", k("a"), k("1")),
		del("a", k("k")), // put then delete: absent
		put("a", k("m"), k("1")),
		del("a", k("n")),
		put("a", k("n"), k("2")), // delete then put: present
		put("a", k("m"), k("3")), // the last of three wins
		put("a", k("m"), k("4")),
		{kind: writeDropBucket, bucket: "b"},
		put("b", k("after"), k("1")), // the bucket again, after its drop
	}
	if err := w.apply(writes, 7); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"a": {"m": "4", "n": "2"},
		"b": {"after": "1"},
	}
	if err := db.View(func(tx *bolt.Tx) error {
		for bucket, kv := range want {
			got := map[string]string{}
			if err := tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error { got[string(k)] = string(v); return nil }); err != nil {
				return err
			}
			if fmt.Sprint(got) != fmt.Sprint(kv) {
				t.Errorf("bucket %s holds %v, want %v", bucket, got, kv)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
