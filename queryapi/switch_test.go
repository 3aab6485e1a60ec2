package queryapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/queryapi"
	"orderctx/queryapi/internal/viewtest"
)

// memSource is a views pointer over in-memory containers: each a log of
// documents that any number of feeds read from the beginning.
type memSource struct {
	active atomic.Value // string
	fail   atomic.Bool
	mu     sync.Mutex
	logs   map[string][][]byte
}

func newMemSource(active string) *memSource {
	s := &memSource{logs: map[string][][]byte{}}
	s.active.Store(active)
	return s
}

// write appends documents to a container.
func (s *memSource) write(container string, docs ...[]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs[container] = append(s.logs[container], docs...)
}

func (s *memSource) ActiveViews(context.Context) (string, error) {
	if s.fail.Load() {
		return "", errors.New("the store is down")
	}
	return s.active.Load().(string), nil
}

func (s *memSource) OpenViews(name string) queryapi.Feed { return &logFeed{src: s, name: name} }

// logFeed reads one container's log from the beginning, a few at a time.
type logFeed struct {
	src  *memSource
	name string
	pos  int
}

func (f *logFeed) Next(context.Context) ([][]byte, bool, error) {
	f.src.mu.Lock()
	defer f.src.mu.Unlock()
	log := f.src.logs[f.name]
	page := log[f.pos:min(f.pos+3, len(log))]
	f.pos += len(page)
	return page, len(page) == 0, nil
}

func orderSpec(i int, version int64, status string) viewtest.Spec {
	return viewtest.Spec{ID: fmt.Sprintf("o-%02d", i), Status: status, Buyer: "b-1", Currency: "EUR",
		Total: int64(100 + i), Placed: t0.Add(time.Duration(i) * time.Minute), Version: version}
}

// TestSwitchingContainersKeepsAnswering: while the pointer moves the API
// from one views container to a rebuilt copy, every read answers 200, no
// order's version goes back, the copy's differences become visible, and
// the live stream carries only those differences (not every view again).
func TestSwitchingContainersKeepsAnswering(t *testing.T) {
	t.Parallel()
	const n = 40
	src := newMemSource("views")
	for i := range n {
		src.write("views", orderSpec(i, 3, "paid").Doc())
		switch i {
		case 1: // newer in the copy
			src.write("views-2", orderSpec(i, 4, "shipped").Doc())
		case 2: // rewritten at the same version
			src.write("views-2", orderSpec(i, 3, "cancelled").Doc())
		default:
			src.write("views-2", orderSpec(i, 3, "paid").Doc())
		}
	}
	src.write("views-2", orderSpec(n, 1, "submitted").Doc()) // only in the copy
	f := newFixture(t, queryapi.Deps{Source: src}, queryapi.Options{})
	live := openLive(t, f.url+"/live")
	if e := live.next(t); e.event != "hello" {
		t.Fatalf("first event %+v", e)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := map[string]int64{}
			for i := r; ; i = (i + 1) % n {
				select {
				case <-stop:
					return
				default:
				}
				var v struct{ Version int64 }
				res := get(t, fmt.Sprintf("%s/orders/o-%02d", f.url, i))
				if res.status != 200 {
					t.Errorf("o-%02d answered %d during the switch: %s", i, res.status, res.body)
					return
				}
				res.json(t, &v)
				id := fmt.Sprintf("o-%02d", i)
				if v.Version < seen[id] {
					t.Errorf("%s went back from version %d to %d", id, seen[id], v.Version)
				}
				seen[id] = v.Version
				if list := get(t, f.url+"/orders?limit=200"); list.status != 200 {
					t.Errorf("listing answered %d during the switch", list.status)
					return
				}
				reads.Add(1)
			}
		}()
	}
	src.fail.Store(true) // a pointer that cannot be read changes nothing
	waitReads(t, &reads, 20)
	src.fail.Store(false)
	src.active.Store("views-2")
	waitFor(t, "the API to serve views-2", func() bool {
		var r queryapi.Readiness
		get(t, f.url+"/readyz").json(t, &r)
		return r.ViewsContainer == "views-2"
	})
	waitReads(t, &reads, reads.Load()+20)
	close(stop)
	wg.Wait()

	// The old container no longer counts; the new one is followed.
	src.write("views", orderSpec(5, 9, "shipped").Doc())
	src.write("views-2", orderSpec(6, 4, "shipped").Doc())
	want := map[string]string{"o-01": "shipped", "o-02": "cancelled", fmt.Sprintf("o-%02d", n): "submitted", "o-06": "shipped"}
	got := map[string]string{}
	for len(got) < len(want) {
		e := live.next(t)
		var v struct{ ID, Status string }
		if err := json.Unmarshal([]byte(e.data), &v); err != nil || e.event != "order" {
			t.Fatalf("live event %+v: %v", e, err)
		}
		if want[v.ID] == "" {
			t.Fatalf("the live stream carried %s, which did not change", v.ID)
		}
		got[v.ID] = v.Status
	}
	for id, status := range want {
		if got[id] != status {
			t.Fatalf("%s is %s, want %s", id, got[id], status)
		}
	}
	if r := get(t, f.url+"/orders/o-05"); !strings.Contains(string(r.body), `"version":3`) {
		t.Fatalf("a write to the old container after the switch was served: %s", r.body)
	}
}

func waitReads(t *testing.T, reads *atomic.Int64, n int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d reads", n), func() bool { return reads.Load() >= n })
}
