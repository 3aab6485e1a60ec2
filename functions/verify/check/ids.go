package check

import (
	"crypto/sha256"
	"encoding/hex"
)

// key is an event id in 16 bytes, so that a million of them fit in 16 MB and
// sort quickly: a canonical lower-case UUID (what es.NewEventID makes) is
// its own 16 bytes; any other id is the first 16 bytes of its SHA-256 and
// keeps its text in ids.other for the report.
type key [16]byte

// ids turns event and message ids into keys and back.
type ids struct {
	other map[key]string
}

func newIDs() *ids { return &ids{other: make(map[key]string)} }

// key returns the key of id.
func (x *ids) key(id string) key {
	if k, ok := uuidKey(id); ok {
		return k
	}
	sum := sha256.Sum256([]byte(id))
	k := key(sum[:16])
	x.other[k] = id
	return k
}

// text returns the id a key was made from.
func (x *ids) text(k key) string {
	if s, ok := x.other[k]; ok {
		return s
	}
	var b [36]byte
	hex.Encode(b[0:8], k[0:4])
	hex.Encode(b[9:13], k[4:6])
	hex.Encode(b[14:18], k[6:8])
	hex.Encode(b[19:23], k[8:10])
	hex.Encode(b[24:], k[10:])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return string(b[:])
}

// uuidKey parses the canonical form 8-4-4-4-12 in lower-case hex only, so
// that text(key) gives back exactly the id.
func uuidKey(s string) (key, bool) {
	var k key
	if len(s) != 36 {
		return k, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		dash := i == 8 || i == 13 || i == 18 || i == 23
		if dash != (c == '-') || !dash && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return k, false
		}
	}
	j := 0
	for _, g := range [...][2]int{{0, 8}, {9, 13}, {14, 18}, {19, 23}, {24, 36}} {
		n, _ := hex.Decode(k[j:], []byte(s[g[0]:g[1]]))
		j += n
	}
	return k, true
}
