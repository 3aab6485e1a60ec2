package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
)

// A log file (a segment or a snapshot) is a run of records, each framed as
// a 4-byte length and a 4-byte CRC-32C of the payload; the payload is the
// record's sequence number, its count of writes and the writes themselves.
// A header of zeros ends the run: segments are zero-filled ahead of their
// records (wal.go).

var errTornRecord = errors.New("torn record")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxRecordBytes bounds a record's payload when it is read back, so a
// damaged length cannot size an allocation. A record is one request (its
// items are at most a few MB) or a snapshot's chunk (snapshotChunk and one
// item more).
const maxRecordBytes = 64 << 20

// readLogFile calls fn for every whole record of a log file in order and
// returns the length of the records read. It reports errTornRecord when
// the file ends inside a record, or a record fails its checksum: at the
// tail of the newest segment that is an append a crash cut short, anywhere
// else damage. fn may keep the writes' keys and values: each record is
// read into memory of its own.
func readLogFile(path string, fn func(seq uint64, writes []write)) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var head [8]byte
	var read int64
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			if err == io.EOF {
				return read, nil
			}
			return read, errTornRecord
		}
		n := binary.BigEndian.Uint32(head[:4])
		sum := binary.BigEndian.Uint32(head[4:])
		if n == 0 && sum == 0 {
			return read, nil
		}
		if n > maxRecordBytes {
			return read, errTornRecord
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return read, errTornRecord
		}
		if crc32.Checksum(payload, castagnoli) != sum {
			return read, errTornRecord
		}
		seq, writes, err := decodeRecord(payload)
		if err != nil {
			return read, errTornRecord
		}
		fn(seq, writes)
		read += 8 + int64(n)
	}
}

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
		b = binary.BigEndian.AppendUint32(b, uint32(wr.valueLen()))
		if wr.hasSeq {
			b = binary.BigEndian.AppendUint64(b, wr.seq)
		}
		b = append(b, wr.value...)
	}
	payload := b[start+8:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(payload, castagnoli))
	return b
}

// writeOverhead is what a write costs in a record beyond its bucket, key
// and value: its kind and the three lengths.
const writeOverhead = 1 + 2 + 4 + 4

// writeSize is the bytes a put of value under bucket and key takes in a
// record: what it adds to the log, and to a snapshot while it is current.
func writeSize(bucket string, key, value int) int64 {
	return int64(writeOverhead + len(bucket) + key + value)
}

func decodeRecord(p []byte) (uint64, []write, error) {
	bad := errors.New("malformed record")
	if len(p) < 12 {
		return 0, nil, bad
	}
	seq := binary.BigEndian.Uint64(p)
	n := binary.BigEndian.Uint32(p[8:])
	p = p[12:]
	if uint64(n) > uint64(len(p)/writeOverhead) {
		return 0, nil, bad // a damaged count must not size an allocation
	}
	writes := make([]write, 0, n)
	take := func(size int) ([]byte, bool) {
		if len(p) < size {
			return nil, false
		}
		out := p[:size:size]
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
