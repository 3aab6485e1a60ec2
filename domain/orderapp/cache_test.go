package orderapp_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/eventstore/memory"
)

func payDecision(orderID string) func(*order.Order) error {
	return func(o *order.Order) error {
		return o.Pay(order.PayOrder{OrderID: orderID, PaymentReference: "ref", Amount: o.Total()}, t0)
	}
}

func shipDecision(orderID string) func(*order.Order) error {
	return func(o *order.Order) error {
		return o.Ship(order.ShipOrder{OrderID: orderID, Carrier: "DHL", TrackingNumber: "t-1"}, t0)
	}
}

func removeDecision(orderID, productID string) func(*order.Order) error {
	return func(o *order.Order) error {
		return o.RemoveItem(order.RemoveItem{OrderID: orderID, ProductID: productID})
	}
}

// update runs one command with a command id and a hash derived from it.
func update(t *testing.T, svc *orderapp.Service, orderID, commandID string, expected *int64, decide func(*order.Order) error) (orderapp.UpdateResult, error) {
	t.Helper()
	return svc.Update(context.Background(), orderID, orderapp.UpdateOptions{CommandID: commandID, RequestHash: "h-" + commandID, ExpectedVersion: expected}, decide)
}

func mustUpdate(t *testing.T, svc *orderapp.Service, orderID, commandID string, expected *int64, decide func(*order.Order) error) orderapp.UpdateResult {
	t.Helper()
	res, err := update(t, svc, orderID, commandID, expected, decide)
	if err != nil {
		t.Fatalf("%s on %s: %v", commandID, orderID, err)
	}
	return res
}

// TestCachedLifecycleCostsOneRequestPerCommand counts the store's requests:
// placing an uncached order appends at version 0 without reading, and every
// later command on the cached order is the append alone.
func TestCachedLifecycleCostsOneRequestPerCommand(t *testing.T) {
	t.Parallel()
	svc, store := newCachedService(t, orderapp.CacheConfig{})
	steps := []struct {
		id     string
		decide func(*order.Order) error
	}{
		{"place", placeDecision("o-1")},
		{"add", addDecision("o-1", "p-1", 2, 150)},
		{"pay", payDecision("o-1")},
		{"ship", shipDecision("o-1")},
	}
	for i, st := range steps {
		res := mustUpdate(t, svc, "o-1", st.id, nil, st.decide)
		if res.StoreRequests != 1 || res.Version != int64(i+1) || res.Replayed {
			t.Fatalf("%s: %+v, want version %d after exactly one store request", st.id, res, i+1)
		}
	}
	if store.Loads() != 0 || store.Finds() != 0 || store.Appends() != 4 {
		t.Fatalf("store saw %d loads, %d command lookups, %d appends; want 0, 0, 4", store.Loads(), store.Finds(), store.Appends())
	}
	st := svc.Stats()
	if st.Commands != 4 || st.StoreRequests != 4 || st.RequestsPerCommand() != 1 || st.Cache == nil || st.Cache.Hits != 3 || st.Cache.Misses != 1 || st.Cache.Entries != 1 || st.Cache.Bytes <= 0 {
		t.Fatalf("stats %+v cache %+v", st, st.Cache)
	}

	// A retried key is answered from the cache: no request, the original result.
	res := mustUpdate(t, svc, "o-1", "add", nil, addDecision("o-1", "p-1", 2, 150))
	if !res.Replayed || res.Version != 2 || res.StoreRequests != 0 {
		t.Fatalf("retried add = %+v, want a replay of version 2 without a request", res)
	}
	_, err := svc.Update(context.Background(), "o-1", orderapp.UpdateOptions{CommandID: "pay", RequestHash: "another request"}, payDecision("o-1"))
	if es.ErrorRule(err) != es.RuleCommandReused {
		t.Fatalf("reused key = %v, want %s", err, es.RuleCommandReused)
	}
	if store.Appends() != 4 {
		t.Fatalf("retries appended: %d appends", store.Appends())
	}
}

// TestCacheOutOfBandAppend: another writer appends behind the cache's back;
// the next command is decided on the stale entry, the append is refused with
// a conflict, and the command is decided again on the reloaded order.
func TestCacheOutOfBandAppend(t *testing.T) {
	t.Parallel()
	svc, store := newCachedService(t, orderapp.CacheConfig{})
	mustUpdate(t, svc, "o-1", "place", nil, placeDecision("o-1"))
	if _, err := store.AppendAs(order.StreamID("o-1"), "elsewhere", t0, order.ItemAdded{OrderID: "o-1", ProductID: "p-9", Name: "P", Quantity: 1, UnitPrice: eur(10), Discount: eur(0)}); err != nil {
		t.Fatal(err)
	}
	var total order.Money
	res := mustUpdate(t, svc, "o-1", "add", nil, func(o *order.Order) error {
		err := addDecision("o-1", "p-1", 1, 5)(o)
		total = o.Total()
		return err
	})
	// The refused append, the load (snapshot and events), the append.
	if res.Version != 3 || total != eur(15) || res.StoreRequests != 4 {
		t.Fatalf("add after an out-of-band append = %+v (total %v), want version 3, 15 EUR, 4 requests", res, total)
	}
	if st := svc.Stats().Cache; st.Stale != 1 {
		t.Fatalf("cache stats %+v, want one stale entry", st)
	}
	// The reloaded entry serves the next command alone.
	if res := mustUpdate(t, svc, "o-1", "pay", nil, payDecision("o-1")); res.StoreRequests != 1 || res.Version != 4 {
		t.Fatalf("pay = %+v", res)
	}
}

// TestCacheConfirmsWhatWritesNothing: a stale entry would reject a command
// that the current order accepts; rejections and If-Match mismatches are
// therefore decided again on a load, and a pinned version that the cache
// shares with a stale entry is refused by the append itself.
func TestCacheConfirmsWhatWritesNothing(t *testing.T) {
	t.Parallel()
	a, store := newCachedService(t, orderapp.CacheConfig{})
	b := orderapp.NewService(store, orderRegistry(t), es.NewFixedClock(t0), nil, orderapp.WithCache(orderapp.NewCache(orderapp.CacheConfig{})))
	mustUpdate(t, a, "o-1", "place", nil, placeDecision("o-1"))          // a caches version 1
	mustUpdate(t, b, "o-1", "add", nil, addDecision("o-1", "p-1", 1, 5)) // b loads and appends version 2

	// a's entry has no p-1: removing it is a rejection there, but not in the store.
	if res := mustUpdate(t, a, "o-1", "remove", nil, removeDecision("o-1", "p-1")); res.Version != 3 {
		t.Fatalf("remove on a stale entry = %+v, want version 3", res)
	}
	// b's entry is at 2; If-Match 3 is the current version: reload, not 412.
	if res := mustUpdate(t, b, "o-1", "re-add", ptr(int64(3)), addDecision("o-1", "p-2", 1, 5)); res.Version != 4 {
		t.Fatalf("If-Match 3 on an entry at 2 = %+v, want version 4", res)
	}
	// a's entry is at 3; If-Match 3 is stale now: the append at 3 is refused.
	_, err := update(t, a, "o-1", "late", ptr(int64(3)), addDecision("o-1", "p-3", 1, 5))
	if es.ErrorRule(err) != es.RuleStaleVersion {
		t.Fatalf("If-Match 3 on an order at 4 = %v, want %s", err, es.RuleStaleVersion)
	}
	// A command the store also rejects is still rejected, after the load.
	mustUpdate(t, a, "o-1", "pay", nil, payDecision("o-1"))
	res, err := update(t, b, "o-1", "add-late", nil, addDecision("o-1", "p-4", 1, 5))
	// The refused append and the load.
	if es.ErrorRule(err) != order.RuleAlreadyPaid || res.StoreRequests != 3 {
		t.Fatalf("add to a paid order through a stale entry = %+v, %v; want %s after 3 requests", res, err, order.RuleAlreadyPaid)
	}
	if n := len(store.Events(order.StreamID("o-1"))); n != 5 {
		t.Fatalf("%d events stored, want 5", n)
	}
}

// TestCacheEviction fills a cache beyond its bounds in entries and in bytes.
func TestCacheEviction(t *testing.T) {
	t.Parallel()
	t.Run("entries", func(t *testing.T) {
		t.Parallel()
		svc, store := newCachedService(t, orderapp.CacheConfig{MaxEntries: 2})
		for _, id := range []string{"o-1", "o-2", "o-3"} {
			mustUpdate(t, svc, id, "place-"+id, nil, placeDecision(id))
		}
		if st := svc.Stats().Cache; st.Entries != 2 || st.Evictions != 1 {
			t.Fatalf("cache %+v, want 2 entries after 1 eviction", st)
		}
		// o-1 was the least recently used: it is loaded again; o-3 is not.
		if res := mustUpdate(t, svc, "o-1", "add-1", nil, addDecision("o-1", "p", 1, 1)); res.StoreRequests != 3 || store.Loads() != 1 {
			t.Fatalf("command on an evicted order = %+v, loads %d", res, store.Loads())
		}
		if res := mustUpdate(t, svc, "o-3", "add-3", nil, addDecision("o-3", "p", 1, 1)); res.StoreRequests != 1 {
			t.Fatalf("command on a cached order = %+v", res)
		}
		// A retried key of the evicted order is found in the reloaded stream.
		if res := mustUpdate(t, svc, "o-2", "place-o-2", nil, placeDecision("o-2")); !res.Replayed || res.Version != 1 {
			t.Fatalf("retried place of an evicted order = %+v", res)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		t.Parallel()
		svc, _ := newCachedService(t, orderapp.CacheConfig{MaxBytes: 2500})
		for i := range 10 {
			id := fmt.Sprint("o-", i)
			mustUpdate(t, svc, id, "place-"+id, nil, placeDecision(id))
		}
		st := svc.Stats().Cache
		if st.Bytes > 2500 || st.Entries == 0 || st.Entries >= 10 || st.Evictions != int64(10-st.Entries) {
			t.Fatalf("cache %+v, want at most 2500 bytes in fewer than 10 entries", st)
		}
		tiny, _ := newCachedService(t, orderapp.CacheConfig{MaxBytes: 10})
		mustUpdate(t, tiny, "o-1", "place", nil, placeDecision("o-1"))
		if res := mustUpdate(t, tiny, "o-1", "add", nil, addDecision("o-1", "p", 1, 1)); res.StoreRequests != 3 {
			t.Fatalf("an entry larger than the cache was kept: %+v", res)
		}
		if st := tiny.Stats().Cache; st.Entries != 0 || st.Bytes != 0 {
			t.Fatalf("cache %+v, want empty", st)
		}
	})
}

// TestCacheCommandRecords: an entry that cannot rule a command id out (its
// stream loaded after a snapshot, or older records dropped by the bound)
// asks the store; a retried command is recognised either way.
func TestCacheCommandRecords(t *testing.T) {
	t.Parallel()
	t.Run("bounded records", func(t *testing.T) {
		t.Parallel()
		svc, store := newCachedService(t, orderapp.CacheConfig{MaxCommands: 2})
		mustUpdate(t, svc, "o-1", "c0", nil, placeDecision("o-1"))
		for i := 1; i <= 3; i++ {
			mustUpdate(t, svc, "o-1", fmt.Sprint("c", i), nil, addDecision("o-1", fmt.Sprint("p-", i), 1, 1))
		}
		if res := mustUpdate(t, svc, "o-1", "c3", nil, addDecision("o-1", "p-3", 1, 1)); !res.Replayed || res.StoreRequests != 0 {
			t.Fatalf("retry of a recorded command = %+v", res)
		}
		if res := mustUpdate(t, svc, "o-1", "c1", nil, addDecision("o-1", "p-1", 1, 1)); !res.Replayed || res.Version != 2 || res.StoreRequests != 1 {
			t.Fatalf("retry of a command older than the records = %+v, want a replay after one lookup", res)
		}
		// c3 (once c0 was dropped), the c1 retry and c4 were looked up.
		if res := mustUpdate(t, svc, "o-1", "c4", nil, addDecision("o-1", "p-4", 1, 1)); res.Replayed || res.Version != 5 || res.StoreRequests != 2 || store.Finds() != 3 {
			t.Fatalf("new command on a bounded entry = %+v, finds %d; want a lookup and the append", res, store.Finds())
		}
	})
	t.Run("after a snapshot", func(t *testing.T) {
		t.Parallel()
		writer, store := newService(t)
		mustUpdate(t, writer, "o-1", "c0", nil, placeDecision("o-1"))
		mustUpdate(t, writer, "o-1", "c1", nil, addDecision("o-1", "p-1", 1, 1))
		snapshotAt(t, store, "o-1", 2)
		mustUpdate(t, writer, "o-1", "c2", nil, addDecision("o-1", "p-2", 1, 1))
		svc := orderapp.NewService(store, orderRegistry(t), es.NewFixedClock(t0), nil, orderapp.WithCache(orderapp.NewCache(orderapp.CacheConfig{})))
		if res := mustUpdate(t, svc, "o-1", "c1", nil, addDecision("o-1", "p-1", 1, 1)); !res.Replayed || res.Version != 2 {
			t.Fatalf("retry of a command inside the snapshot = %+v", res)
		}
		if res := mustUpdate(t, svc, "o-1", "c2", nil, addDecision("o-1", "p-2", 1, 1)); !res.Replayed || res.Version != 3 || res.StoreRequests != 0 {
			t.Fatalf("retry of a command after the snapshot = %+v, want it from the entry", res)
		}
		if res := mustUpdate(t, svc, "o-1", "c1", nil, addDecision("o-1", "p-1", 1, 1)); !res.Replayed || res.StoreRequests != 1 {
			t.Fatalf("retry of a command hidden by the snapshot, cached = %+v, want one lookup", res)
		}
	})
}

// TestCacheLostAcknowledgement: an append whose outcome is unknown drops
// the entry, and the retry finds the command in the reloaded stream.
func TestCacheLostAcknowledgement(t *testing.T) {
	t.Parallel()
	svc, store := newCachedService(t, orderapp.CacheConfig{})
	mustUpdate(t, svc, "o-1", "place", nil, placeDecision("o-1"))
	store.SetBeforeAppend(true, func(string, int64) error { return errBoom })
	if _, err := update(t, svc, "o-1", "add", nil, addDecision("o-1", "p-1", 1, 5)); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want the injected failure", err)
	}
	store.SetBeforeAppend(false, nil)
	res := mustUpdate(t, svc, "o-1", "add", nil, addDecision("o-1", "p-1", 1, 5))
	if !res.Replayed || res.Version != 2 || store.Appends() != 2 {
		t.Fatalf("retry after a lost acknowledgement = %+v, %d appends", res, store.Appends())
	}
}

// TestCachedInstancesShareAStore runs two services with their own caches on
// one store, as two command API instances would, and sends each command to
// one of them at random, often retried (same key) on the other, some pinned
// to the version the client last saw, from several clients at once. Every
// accepted command must be stored exactly once, at the version its answer
// gave; retries must replay the original answer; pinned commands on a moved
// order must be refused as stale; nothing else may fail.
func TestCachedInstancesShareAStore(t *testing.T) {
	t.Parallel()
	reg := orderRegistry(t)
	store := memory.New(reg)
	newInstance := func() *orderapp.Service {
		return orderapp.NewService(store, reg, es.NewFixedClock(t0), nil, orderapp.WithCache(orderapp.NewCache(orderapp.CacheConfig{MaxEntries: 3})))
	}
	instances := []*orderapp.Service{newInstance(), newInstance()}
	const (
		clients  = 6
		orders   = 4
		commands = 60
	)
	type ack struct {
		orderID, commandID string
		res                orderapp.UpdateResult
	}
	var (
		mu   sync.Mutex
		acks []ack
		wg   sync.WaitGroup
	)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 3))
			seen := map[string]int64{}
			for n := range commands {
				orderID := fmt.Sprint("o-", r.IntN(orders))
				commandID := fmt.Sprintf("c%d-%d", c, n)
				decide := addDecision(orderID, fmt.Sprintf("p-%d-%d", c, n), 1, 1)
				if seen[orderID] == 0 {
					decide = func(o *order.Order) error {
						if o.Exists() {
							return nil // placed by someone else: nothing to do
						}
						return placeDecision(orderID)(o)
					}
				}
				var expected *int64
				if seen[orderID] > 0 && r.IntN(3) == 0 {
					expected = ptr(seen[orderID])
				}
				opts := orderapp.UpdateOptions{CommandID: commandID, RequestHash: "h-" + commandID, ExpectedVersion: expected, MaxRetries: 50}
				first, err := instances[r.IntN(2)].Update(context.Background(), orderID, opts, decide)
				if expected != nil && es.ErrorRule(err) == es.RuleStaleVersion {
					seen[orderID] = 0 // look again: the next command on it is unpinned
					continue
				}
				if err != nil {
					t.Errorf("%s on %s: %v", commandID, orderID, err)
					return
				}
				if r.IntN(2) == 0 {
					again, err := instances[r.IntN(2)].Update(context.Background(), orderID, opts, decide)
					if len(first.EventIDs) > 0 && (err != nil || !again.Replayed || again.Version != first.Version || fmt.Sprint(again.EventIDs) != fmt.Sprint(first.EventIDs)) {
						t.Errorf("retry of %s = %+v, %v; first answer %+v", commandID, again, err, first)
						return
					}
				}
				seen[orderID] = max(first.Version, 1)
				mu.Lock()
				acks = append(acks, ack{orderID, commandID, first})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	stored := map[string]es.EncodedEvent{}
	for o := range orders {
		for i, e := range store.Events(order.StreamID(fmt.Sprint("o-", o))) {
			if e.Version != int64(i+1) {
				t.Fatalf("o-%d: event %d has version %d", o, i, e.Version)
			}
			if _, dup := stored[e.EventID]; dup {
				t.Fatalf("event %s stored twice", e.EventID)
			}
			stored[e.EventID] = e
		}
	}
	appended := 0
	for _, a := range acks {
		for i, id := range a.res.EventIDs {
			e, ok := stored[id]
			if !ok || e.CommandID != a.commandID || e.StreamID != order.StreamID(a.orderID) || e.Version != a.res.Version-int64(len(a.res.EventIDs)-1-i) {
				t.Fatalf("acknowledged event %s of %s: stored %+v (found %v)", id, a.commandID, e.Metadata, ok)
			}
			appended++
		}
	}
	if appended != len(stored) {
		t.Fatalf("%d events stored, %d acknowledged", len(stored), appended)
	}
	hits := int64(0)
	for i, svc := range instances {
		st := svc.Stats().Cache
		hits += st.Hits
		t.Logf("instance %d: cache %+v", i, *st)
	}
	if hits == 0 {
		t.Fatal("no command was decided from a cache")
	}
}
