package store_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// syncGate holds the log writer before the sync of its next group once
// armed, and reports answers that start waiting for durability.
type syncGate struct {
	armed    atomic.Bool
	staged   chan struct{} // the held group is logged and visible in memory, not synced
	release  chan struct{}
	released sync.Once
	waiting  chan struct{} // an answer is parked until what it observed is durable
}

func newSyncGate() *syncGate {
	return &syncGate{staged: make(chan struct{}, 1), release: make(chan struct{}), waiting: make(chan struct{}, 64)}
}

func (g *syncGate) beforeSync() {
	if g.armed.CompareAndSwap(true, false) {
		g.staged <- struct{}{}
		<-g.release
	}
}

// open lets the held group be synced.
func (g *syncGate) open() { g.released.Do(func() { close(g.release) }) }

func (g *syncGate) awaiting() {
	select {
	case g.waiting <- struct{}{}:
	default:
	}
}

// gatedStore is a durable container whose log the test can hold, with item
// "x" (v1) and item "y" durable in partition "p", and item "q" in partition "q".
type gatedStore struct {
	eng  *store.Engine
	c    *store.Container
	gate *syncGate
	x1   *store.Doc
}

var pkP, pkQ = store.NewPartitionKey([]any{"p"}), store.NewPartitionKey([]any{"q"})

func openGatedStore(t *testing.T) *gatedStore {
	t.Helper()
	gate := newSyncGate()
	eng, c := openContainerWith(t, store.WithHooks(store.Options{Dir: t.TempDir()}, gate.beforeSync, gate.awaiting))
	t.Cleanup(func() {
		gate.open() // a failed test must not leave the log held
		_ = eng.Close()
	})
	for _, w := range []struct {
		pk   store.PartitionKey
		body string
	}{{pkP, `{"id":"x","pk":"p","v":1}`}, {pkP, `{"id":"y","pk":"p"}`}, {pkQ, `{"id":"q","pk":"q"}`}} {
		if res, ok := c.Execute(w.pk, []store.Op{{Kind: store.OpCreate, Body: []byte(w.body)}}); !ok {
			t.Fatalf("setup: %v", res[0].Err)
		}
	}
	x1, err := c.ReadItem(pkP, "x")
	if err != nil {
		t.Fatal(err)
	}
	return &gatedStore{eng: eng, c: c, gate: gate, x1: x1}
}

// stage runs op in partition p with its sync held, and returns once the
// write is visible in memory but not durable; the returned channel closes
// when the write has been acknowledged.
func (s *gatedStore) stage(t *testing.T, op store.Op) <-chan struct{} {
	t.Helper()
	s.gate.armed.Store(true)
	acked := make(chan struct{})
	go func() {
		defer close(acked)
		if res, ok := s.c.Execute(pkP, []store.Op{op}); !ok {
			t.Errorf("staged write: %v", res[0].Err)
		}
	}()
	select {
	case <-s.gate.staged:
	case <-time.After(10 * time.Second):
		t.Fatal("the write never reached the log")
	}
	return acked
}

// awaitParked returns once the answer got is parked waiting for durability,
// and fails the test if it answers first.
func (s *gatedStore) awaitParked(t *testing.T, got <-chan string) {
	t.Helper()
	select {
	case <-s.gate.waiting:
	case a := <-got:
		t.Fatalf("answered %q while the write it observed was not durable", a)
	case <-time.After(10 * time.Second):
		t.Fatal("the answer neither returned nor waited")
	}
}

// answer runs fn in a goroutine and returns its outcome on a channel.
func answer(fn func() string) <-chan string {
	out := make(chan string, 1)
	go func() { out <- fn() }()
	return out
}

// ids lists the ids of docs, in brackets.
func ids(docs []*store.Doc, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	var out []string
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return "[" + strings.Join(out, ",") + "]"
}

func statusOf(res []store.Result, _ bool) string {
	r := res[0]
	if r.Doc != nil {
		return fmt.Sprintf("%d %s", r.Status, r.Doc.Body)
	}
	return fmt.Sprint(r.Status)
}

func body(d *store.Doc, err error) string {
	if err != nil {
		return err.Error()
	}
	return string(d.Body)
}

// Every answer that observed a write must wait until the write is durable:
// the write is staged with its sync held, the answer is started, and it must
// park (the awaiting hook fires) rather than return; released, it answers
// with the write.
func TestAnswersWaitUntilTheWritesTheyObservedAreDurable(t *testing.T) {
	t.Parallel()
	x2 := store.Op{Kind: store.OpUpsert, Body: []byte(`{"id":"x","pk":"p","v":2}`)}
	deleteY := store.Op{Kind: store.OpDelete, ID: "y"}
	cases := []struct {
		name   string
		staged store.Op
		answer func(s *gatedStore) string
		want   string // a substring of the answer once the write is durable
	}{
		{"point read", x2, func(s *gatedStore) string { return body(s.c.ReadItem(pkP, "x")) }, `"v":2`},
		{"point read of a deleted item", deleteY, func(s *gatedStore) string { return body(s.c.ReadItem(pkP, "y")) }, "404"},
		{"partition query", deleteY, func(s *gatedStore) string { return ids(s.c.PartitionDocs(pkP)) }, "[x]"},
		{"query by id", x2, func(s *gatedStore) string {
			docs, err := s.c.PartitionDocsByID(pkP, []string{"x"})
			if err != nil || len(docs) != 1 {
				return fmt.Sprint(len(docs), err)
			}
			return string(docs[0].Body)
		}, `"v":2`},
		{"range query", deleteY, func(s *gatedStore) string { return ids(s.c.RangeDocs("0")) }, "[x,q]"},
		{"conflicting create (409)", x2, func(s *gatedStore) string {
			return statusOf(s.c.Execute(pkP, []store.Op{{Kind: store.OpCreate, Body: []byte(`{"id":"x","pk":"p"}`)}}))
		}, "409"},
		{"stale If-Match (412)", x2, func(s *gatedStore) string {
			return statusOf(s.c.Execute(pkP, []store.Op{{Kind: store.OpReplace, ID: "x", IfMatch: s.x1.ETag, Body: []byte(`{"id":"x","pk":"p"}`)}}))
		}, "412"},
		{"replace of a deleted item (404)", deleteY, func(s *gatedStore) string {
			return statusOf(s.c.Execute(pkP, []store.Op{{Kind: store.OpReplace, ID: "y", Body: []byte(`{"id":"y","pk":"p"}`)}}))
		}, "404"},
		{"read in a batch", x2, func(s *gatedStore) string {
			return statusOf(s.c.Execute(pkP, []store.Op{{Kind: store.OpRead, ID: "x"}}))
		}, `200 {"id":"x","pk":"p","v":2`},
		{"read answered 304", x2, func(s *gatedStore) string {
			return statusOf(s.c.Execute(pkP, []store.Op{{Kind: store.OpRead, ID: "x", IfNoneMatch: "*"}}))
		}, `304 {"id":"x","pk":"p","v":2`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openGatedStore(t)
			acked := s.stage(t, tc.staged)
			got := answer(func() string { return tc.answer(s) })
			s.awaitParked(t, got)
			select {
			case a := <-got:
				t.Fatalf("answered %q while the write it observed was not durable", a)
			case <-acked:
				t.Fatal("the staged write was acknowledged while its sync was held")
			default:
			}
			s.gate.open()
			if a := <-got; !strings.Contains(a, tc.want) {
				t.Fatalf("answer after the sync = %q, want it to contain %q", a, tc.want)
			}
			<-acked
		})
	}
}

// Answers that observed nothing pending do not wait: another partition, and
// the change feed, which returns durable changes only, and which still owes
// its readers a version whose replacement is not durable yet.
func TestAnswersOnDurableStateDoNotWait(t *testing.T) {
	t.Parallel()
	s := openGatedStore(t)
	acked := s.stage(t, store.Op{Kind: store.OpUpsert, Body: []byte(`{"id":"x","pk":"p","v":2}`)})
	if got := body(s.c.ReadItem(pkQ, "q")); !strings.Contains(got, `"id":"q"`) {
		t.Fatalf("read of another partition = %q", got)
	}
	if got := body(s.c.ReadItem(pkP, "y")); !strings.Contains(got, `"id":"y"`) {
		t.Fatalf("read of an item the pending write does not touch = %q", got)
	}
	page, err := s.c.ReadFeed(store.FeedRequest{RangeID: "0"})
	if err != nil {
		t.Fatal(err)
	}
	var feed []string
	for _, d := range page.Docs {
		feed = append(feed, string(d.Body))
	}
	if len(feed) != 3 || !strings.Contains(feed[0], `"v":1`) {
		t.Fatalf("change feed while x v2 is not durable: %q, want x v1, y and q", feed)
	}
	select {
	case <-s.gate.waiting:
		t.Fatal("an answer on durable state waited")
	default:
	}
	s.gate.open()
	<-acked
	page, err = s.c.ReadFeed(store.FeedRequest{RangeID: "0", After: page.Continuation})
	if err != nil || len(page.Docs) != 1 || !strings.Contains(string(page.Docs[0].Body), `"v":2`) {
		t.Fatalf("change feed after the sync: %v %v, want x v2", page.Docs, err)
	}
}

// An answer waiting for durability is released with 503 when the engine
// closes, instead of waiting forever.
func TestWaitingAnswerEndsWhenTheEngineCloses(t *testing.T) {
	t.Parallel()
	s := openGatedStore(t)
	acked := s.stage(t, store.Op{Kind: store.OpUpsert, Body: []byte(`{"id":"x","pk":"p","v":2}`)})
	got := answer(func() string { return body(s.c.ReadItem(pkP, "x")) })
	s.awaitParked(t, got)
	closed := make(chan error, 1)
	go func() { closed <- s.eng.Close() }()
	if a := <-got; !strings.HasPrefix(a, "503 ") {
		t.Fatalf("answer when the engine closed = %q, want 503", a)
	}
	s.gate.open()
	<-acked
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
