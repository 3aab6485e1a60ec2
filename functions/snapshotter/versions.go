package snapshotter

import "sync"

// versions remembers the last snapshot version of up to max streams. When it
// is full it forgets an arbitrary one: forgetting costs one snapshot read,
// and a map is all the bookkeeping that needs.
type versions struct {
	mu  sync.Mutex
	max int
	m   map[string]int64
}

func newVersions(max int) *versions { return &versions{max: max, m: make(map[string]int64)} }

func (v *versions) get(id string) (int64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n, ok := v.m[id]
	return n, ok
}

func (v *versions) put(id string, version int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[id]; !ok && len(v.m) >= v.max {
		for k := range v.m {
			delete(v.m, k)
			break
		}
	}
	v.m[id] = max(version, v.m[id])
}
