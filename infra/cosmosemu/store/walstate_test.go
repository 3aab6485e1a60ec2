package store

import (
	"fmt"
	"testing"
)

// Replaying a log applies each key's last write, in order, and a bucket
// drop removes what came before it, not what follows.
func TestReplayKeepsTheLastWriteOfEachKey(t *testing.T) {
	t.Parallel()
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
		del("c", k("never")),         // a delete in a bucket never written
	}
	st := newLogState()
	for _, wr := range writes {
		st.apply(wr)
	}
	want := map[string]map[string]string{
		"a": {"m": "4", "n": "2"},
		"b": {"after": "1"},
	}
	if got := fmt.Sprint(st.bucketNames()); got != "[a b]" {
		t.Fatalf("buckets %s, want [a b]", got)
	}
	for bucket, kv := range want {
		got := map[string]string{}
		_ = st.forEach(bucket, func(k string, v []byte) error { got[k] = string(v); return nil })
		if fmt.Sprint(got) != fmt.Sprint(kv) {
			t.Errorf("bucket %s holds %v, want %v", bucket, got, kv)
		}
	}
	if got, want := st.liveBytes(), writeSize("a", 1, 1)*2+writeSize("b", 5, 1); got != want {
		t.Errorf("live bytes %d, want %d", got, want)
	}
}
