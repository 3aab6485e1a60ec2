package store

import "sort"

// logState is the store's content as its log files describe it, bucket by
// bucket, key by key: what recovery hands to the engine to rebuild memory
// from, and what a compaction writes out as a snapshot.
type logState struct {
	buckets map[string]map[string][]byte
}

func newLogState() *logState { return &logState{buckets: map[string]map[string][]byte{}} }

// apply replays one logged write.
func (s *logState) apply(wr write) {
	switch wr.kind {
	case writePut:
		b := s.buckets[wr.bucket]
		if b == nil {
			b = map[string][]byte{}
			s.buckets[wr.bucket] = b
		}
		b[string(wr.key)] = wr.value
	case writeDelete:
		delete(s.buckets[wr.bucket], string(wr.key))
	case writeDropBucket:
		delete(s.buckets, wr.bucket)
	}
}

// get returns a key's value, nil if absent.
func (s *logState) get(bucket string, key []byte) []byte { return s.buckets[bucket][string(key)] }

// forEach calls fn for every key of a bucket, in key order.
func (s *logState) forEach(bucket string, fn func(key string, value []byte) error) error {
	b := s.buckets[bucket]
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn(k, b[k]); err != nil {
			return err
		}
	}
	return nil
}

// bucketNames lists the buckets in name order.
func (s *logState) bucketNames() []string {
	names := make([]string, 0, len(s.buckets))
	for name := range s.buckets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// liveBytes is what a snapshot of the state holds: the size of a put of
// every current key.
func (s *logState) liveBytes() int64 {
	var n int64
	for name, b := range s.buckets {
		for k, v := range b {
			n += writeSize(name, len(k), len(v))
		}
	}
	return n
}
