package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"orderctx/queryapi/readmodel"
)

func TestApplyKeepsTheNewestVersion(t *testing.T) {
	t.Parallel()
	m := newModel(readmodel.Options{})
	base := spec{id: "o-1", status: "submitted", buyer: "b", currency: "EUR", total: 100, placed: t0, version: 2}
	apply(t, m, base)
	older := base
	older.version, older.status = 1, "paid"
	newer := base
	newer.version, newer.status, newer.total = 3, "paid", 250
	applied := apply(t, m, older, newer)
	if got := ids(applied); !slices.Equal(got, []string{"o-1"}) || applied[0].Version != 3 {
		t.Fatalf("applied %v", got)
	}
	if applied[0].Seq != 2 || m.Seq() != 2 {
		t.Fatalf("seq %d, model seq %d; want 2", applied[0].Seq, m.Seq())
	}
	if again := apply(t, m, newer); len(again) != 0 || m.Seq() != 2 {
		t.Fatalf("the same document again applied %v (seq %d); want nothing", ids(again), m.Seq())
	}
	v, _ := m.Get("o-1")
	if v.Status != "paid" || v.Total != 250 {
		t.Fatalf("held %+v", v)
	}
	// The old status and total are gone from every index.
	if views, _ := m.Query(readmodel.Query{Status: "submitted", Limit: 10}); len(views) != 0 {
		t.Fatalf("submitted still lists %v", ids(views))
	}
	min := int64(200)
	if views, _ := m.Query(readmodel.Query{Sort: readmodel.SortTotal, MinTotal: &min, Limit: 10}); len(views) != 1 {
		t.Fatalf("by total: %v", ids(views))
	}
	same := newer
	same.buyer = "b2"
	apply(t, m, same)
	if views, _ := m.Query(readmodel.Query{BuyerID: "b", Limit: 10}); len(views) != 0 {
		t.Fatalf("old buyer still lists %v", ids(views))
	}
	if views, _ := m.Query(readmodel.Query{BuyerID: "b2", Limit: 10}); len(views) != 1 {
		t.Fatalf("new buyer lists %v", ids(views))
	}
}

// randomSpecs makes n orders over a few buyers, statuses, totals (with
// ties) and placed dates (with ties).
func randomSpecs(r *rand.Rand, n int) []spec {
	out := make([]spec, n)
	for i := range out {
		out[i] = spec{
			id: fmt.Sprintf("o-%04d", r.IntN(n*3)), status: readmodel.Statuses[r.IntN(4)], buyer: fmt.Sprintf("b-%d", r.IntN(7)),
			currency: []string{"EUR", "USD"}[r.IntN(2)], total: int64(r.IntN(50)) * 100,
			placed: t0.Add(time.Duration(r.IntN(40)) * time.Hour), version: int64(1 + r.IntN(5)),
		}
	}
	return out
}

// expected answers a query by brute force over the model's current views.
func expected(all map[string]*readmodel.View, q readmodel.Query) []string {
	var out []*readmodel.View
	for _, v := range all {
		switch {
		case q.Status != "" && v.Status != q.Status, q.BuyerID != "" && v.BuyerID != q.BuyerID,
			!q.PlacedFrom.IsZero() && v.PlacedAt.Before(q.PlacedFrom), !q.PlacedTo.IsZero() && !v.PlacedAt.Before(q.PlacedTo),
			q.MinTotal != nil && v.Total < *q.MinTotal:
			continue
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *readmodel.View) int {
		pa, pb := readmodel.PositionOf(a, q.Sort), readmodel.PositionOf(b, q.Sort)
		c := 0
		switch {
		case pa.Key != pb.Key:
			c = map[bool]int{true: -1, false: 1}[pa.Key < pb.Key]
		case pa.ID != pb.ID:
			c = map[bool]int{true: -1, false: 1}[pa.ID < pb.ID]
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	return ids(out)
}

// pageAll reads every page of a query, following positions.
func pageAll(t *testing.T, m *readmodel.Model, q readmodel.Query) []string {
	t.Helper()
	var out []string
	for pages := 0; pages < 10000; pages++ {
		views, more := m.Query(q)
		if len(views) > q.Limit {
			t.Fatalf("page of %d, limit %d", len(views), q.Limit)
		}
		out = append(out, ids(views)...)
		if !more {
			return out
		}
		p := readmodel.PositionOf(views[len(views)-1], q.Sort)
		q.After = &p
	}
	t.Fatal("paging did not end")
	return nil
}

func TestQueryMatchesBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	// Half the views arrive during the initial load (indexes built at its
	// end), half after (indexes updated one change at a time), with
	// updates of the first half among them.
	m := readmodel.New(readmodel.Options{})
	all := map[string]*readmodel.View{}
	for _, v := range apply(t, m, randomSpecs(r, 200)...) {
		all[v.ID] = v
	}
	if views, _ := m.Query(readmodel.Query{Limit: 10}); len(views) != 0 {
		t.Fatalf("indexes before BuildIndexes: %v", ids(views))
	}
	m.BuildIndexes()
	for _, v := range apply(t, m, randomSpecs(r, 200)...) {
		all[v.ID] = v
	}
	for i := 0; i < 300; i++ {
		q := readmodel.Query{Sort: readmodel.SortKey(r.IntN(2)), Desc: r.IntN(2) == 0, Limit: 1 + r.IntN(40)}
		if r.IntN(3) == 0 {
			q.Status = readmodel.Statuses[r.IntN(4)]
		}
		if r.IntN(3) == 0 {
			q.BuyerID = fmt.Sprintf("b-%d", r.IntN(8))
		}
		if r.IntN(3) == 0 {
			q.PlacedFrom = t0.Add(time.Duration(r.IntN(40)) * time.Hour)
		}
		if r.IntN(3) == 0 {
			q.PlacedTo = t0.Add(time.Duration(r.IntN(45)) * time.Hour)
		}
		if r.IntN(3) == 0 {
			n := int64(r.IntN(50)) * 100
			q.MinTotal = &n
		}
		got, want := pageAll(t, m, q), expected(all, q)
		if !slices.Equal(got, want) {
			t.Fatalf("query %+v:\n got %v\nwant %v", q, got, want)
		}
	}
}

// TestPagingIsStableUnderConcurrentUpdates pages through all orders by
// placed date while another goroutine keeps changing their status and
// total: every order appears exactly once, in order.
func TestPagingIsStableUnderConcurrentUpdates(t *testing.T) {
	t.Parallel()
	m := newModel(readmodel.Options{})
	const n = 3000
	specs := make([]spec, n)
	for i := range specs {
		specs[i] = spec{id: fmt.Sprintf("o-%05d", i), status: "submitted", buyer: "b", currency: "EUR", total: int64(i), placed: t0.Add(time.Duration(i%500) * time.Minute), version: 1}
	}
	apply(t, m, specs...)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(3, 4))
		for v := int64(2); ; v++ {
			select {
			case <-stop:
				return
			default:
			}
			batch := make([]spec, 50)
			for i := range batch {
				s := specs[r.IntN(n)]
				s.version, s.status, s.total = v, readmodel.Statuses[r.IntN(4)], int64(r.IntN(n))
				batch[i] = s
			}
			apply(t, m, batch...)
		}
	}()
	for _, desc := range []bool{false, true} {
		got := pageAll(t, m, readmodel.Query{Sort: readmodel.SortPlacedAt, Desc: desc, Limit: 37})
		if len(got) != n {
			t.Errorf("desc=%v: %d orders listed, want %d", desc, len(got), n)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("desc=%v: %s listed twice", desc, id)
			}
			seen[id] = true
		}
	}
	close(stop)
	wg.Wait()
}

func TestWaitVersion(t *testing.T) {
	t.Parallel()
	m := newModel(readmodel.Options{})
	s := spec{id: "o-1", status: "submitted", buyer: "b", currency: "EUR", placed: t0, version: 1}
	apply(t, m, s)
	got := make(chan *readmodel.View, 1)
	go func() {
		v, err := m.WaitVersion(context.Background(), "o-1", 3)
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	waitUntil(t, func() bool { return m.Waiting() == 1 })
	s.version = 2
	apply(t, m, s)
	s.version = 3
	apply(t, m, s)
	if v := <-got; v.Version != 3 {
		t.Fatalf("woke with version %d", v.Version)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	v, err := m.WaitVersion(ctx, "o-1", 9)
	if !errors.Is(err, context.DeadlineExceeded) || v == nil || v.Version != 3 {
		t.Fatalf("timed-out wait = %v, %v; want version 3 and DeadlineExceeded", v, err)
	}
	v, err = m.WaitVersion(ctx, "never", 1)
	if err == nil || v != nil {
		t.Fatalf("wait for a missing order = %v, %v", v, err)
	}
	if n := m.Waiting(); n != 0 {
		t.Fatalf("%d waiters left behind", n)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	m := newModel(readmodel.Options{})
	huge := int64(1<<53 - 1)
	apply(t, m,
		spec{id: "a", status: "submitted", currency: "EUR", total: 100, placed: t0, version: 1},
		spec{id: "b", status: "submitted", currency: "EUR", total: 50, placed: t0, version: 1},
		spec{id: "c", status: "paid", currency: "USD", total: huge, placed: t0, version: 2},
		spec{id: "d", status: "paid", currency: "USD", total: huge, placed: t0, version: 2},
	)
	apply(t, m, spec{id: "b", status: "paid", currency: "EUR", total: 70, placed: t0, version: 2})
	s := m.Stats()
	if s.Orders != 4 {
		t.Fatalf("orders %d", s.Orders)
	}
	check := func(status, currency string, orders int64, total *big.Int) {
		t.Helper()
		a := s.ByStatus[status][currency]
		if a.Orders != orders || a.Total.Cmp(total) != 0 {
			t.Errorf("%s/%s = %d orders, %v; want %d, %v", status, currency, a.Orders, a.Total, orders, total)
		}
	}
	check("submitted", "EUR", 1, big.NewInt(100))
	check("paid", "EUR", 1, big.NewInt(70))
	check("paid", "USD", 2, new(big.Int).Mul(big.NewInt(huge), big.NewInt(2)))
}

func TestMemoryCap(t *testing.T) {
	t.Parallel()
	one := spec{id: "o-0", status: "submitted", currency: "EUR", placed: t0, version: 1}.view(t)
	perView := int64(readmodel.ViewOverhead + cap(one.Doc) + len(one.ID) + len(one.ETag))
	m := newModel(readmodel.Options{MaxBytes: 3*perView + perView/2})
	views := make([]*readmodel.View, 5)
	for i := range views {
		views[i] = spec{id: fmt.Sprintf("o-%d", i), status: "submitted", currency: "EUR", placed: t0, version: 1}.view(t)
	}
	applied, err := m.Apply(views)
	if !errors.Is(err, readmodel.ErrFull) || len(applied) != 3 {
		t.Fatalf("applied %d, err %v; want 3 and ErrFull", len(applied), err)
	}
	t.Log(err)
	if _, err := m.Apply(views[:1]); !errors.Is(err, readmodel.ErrFull) || m.Err() == nil {
		t.Fatalf("a full model accepted a change: %v", err)
	}
	if orders, bytes, _ := m.Usage(); orders != 3 || bytes != 3*perView {
		t.Fatalf("usage %d orders, %d bytes", orders, bytes)
	}
}
