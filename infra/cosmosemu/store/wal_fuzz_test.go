package store

import (
	"bytes"
	"testing"
)

// FuzzDecodeRecord: a damaged log record never panics the recovery, and a
// record that decodes re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	rec := appendRecord(nil, 7, []write{put("b", []byte("k"), []byte("v")), del("b", []byte("k2")), {kind: writeDropBucket, bucket: "x"}})
	f.Add(rec[8:])
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, payload []byte) {
		seq, writes, err := decodeRecord(payload)
		if err != nil {
			return
		}
		again := appendRecord(nil, seq, writes)
		if !bytes.Equal(again[8:], payload) {
			t.Fatalf("record does not round-trip:\n%x\n%x", payload, again[8:])
		}
	})
}
