package queryapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"orderctx/queryapi/internal/viewtest"
)

// listing returns every view an instance serves, in one fixed order, and
// its statistics: what two converged instances must agree on.
func listing(t *testing.T, base string) string {
	t.Helper()
	var b strings.Builder
	path := base + "/orders?order=asc&limit=200"
	for {
		var p struct {
			Items []any   `json:"items"`
			Next  *string `json:"next"`
		}
		r := get(t, path)
		r.json(t, &p)
		b.Write(r.body)
		if p.Next == nil {
			break
		}
		path = base + "/orders?cursor=" + *p.Next
	}
	b.Write(get(t, base+"/orders/stats").body)
	return b.String()
}

// TestInstancesConverge: two instances following the same views, one of
// them started while the writes are under way, and a restarted one, all end
// with the same views (three feed ranges, updates racing the initial load).
func TestInstancesConverge(t *testing.T) {
	t.Parallel()
	sys := newSystem(t, 3)
	const orders, versions = 240, 3
	write := func(from, to int) {
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from + w; i < to; i += 4 {
					for v := int64(1); v <= versions; v++ {
						s := viewtest.Spec{ID: fmt.Sprintf("c-%03d", i), Status: []string{"submitted", "paid", "shipped"}[v-1],
							Buyer: fmt.Sprintf("b-%d", i%9), Currency: "EUR", Total: int64(i) * v, Placed: t0.Add(time.Duration(i%17) * time.Minute), Version: v}
						sys.upsertView(t, s.ID, s.Doc())
					}
				}
			}()
		}
		wg.Wait()
	}
	write(0, orders/2)
	a := sys.startQuery(t, nil)
	write(orders/2, orders)
	b := sys.startQuery(t, nil)
	waitAll := func(q *queryInstance) {
		for i := 0; i < orders; i++ {
			if r := get(t, fmt.Sprintf("%s/orders/c-%03d?minVersion=%d&wait=10s", q.url, i, versions)); r.status != 200 {
				t.Fatalf("c-%03d: %d %s", i, r.status, r.body)
			}
		}
	}
	waitAll(a)
	waitAll(b)
	la, lb := listing(t, a.url), listing(t, b.url)
	if la != lb {
		t.Fatal("two instances disagree")
	}
	if !strings.Contains(la, `"orders":240`) {
		t.Fatalf("listing: %.300s", la)
	}
	a.stop()
	restarted := sys.startQuery(t, nil)
	if lr := listing(t, restarted.url); lr != lb {
		t.Fatal("a restarted instance disagrees")
	}
}
