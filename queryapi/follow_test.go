package queryapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"orderctx/queryapi"
)

// lastPageFeed hands out everything pending as one page that says it was the
// last (as feedreader does for a short page of a one-range feed), and never
// answers an empty read with "caught up".
type lastPageFeed struct {
	mu      sync.Mutex
	pending [][]byte
}

func (f *lastPageFeed) push(docs ...[]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, docs...)
}

func (f *lastPageFeed) Next(context.Context) ([][]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	page := f.pending
	f.pending = nil
	return page, len(page) > 0, nil
}

// TestALastPageIsTheHead: a page that says it was the last makes the API
// ready and current without the empty read that would say so again.
func TestALastPageIsTheHead(t *testing.T) {
	t.Parallel()
	feed := &lastPageFeed{}
	feed.push(spec("o-1", "submitted", "b-1", 100, 1, 1).Doc(), spec("o-2", "paid", "b-2", 200, 2, 3).Doc())
	f := newFixture(t, queryapi.Deps{Views: feed}, queryapi.Options{}) // waits until ready
	if r := get(t, f.url+"/orders/o-2"); r.status != http.StatusOK {
		t.Fatalf("GET /orders/o-2 = %d %s", r.status, r.body)
	}
	feed.push(spec("o-3", "submitted", "b-1", 300, 3, 1).Doc())
	waitFor(t, "the order of a later page", func() bool { return get(t, f.url+"/orders/o-3").status == http.StatusOK })
}
