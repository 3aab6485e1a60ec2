package orderapp_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/eventstore/memory"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

var testAddress = order.Address{Street: "Hauptstraße 1", City: "Berlin", PostalCode: "10115", Country: "DE"}

func eur(n int64) order.Money { return order.Money{Amount: n, Currency: "EUR"} }

func placeDecision(orderID string, items ...order.ItemInput) func(*order.Order) error {
	return func(o *order.Order) error {
		return o.Place(order.PlaceOrder{OrderID: orderID, BuyerID: "b-1", Currency: "EUR", ShippingAddress: testAddress, Items: items}, t0)
	}
}

func addDecision(orderID, productID string, qty int, price int64) func(*order.Order) error {
	return func(o *order.Order) error {
		return o.AddItem(order.AddItem{OrderID: orderID, ItemInput: order.ItemInput{ProductID: productID, Name: "Product " + productID, Quantity: qty, UnitPrice: eur(price)}})
	}
}

func newService(t testing.TB) (*orderapp.Service, *memory.Store) {
	t.Helper()
	reg := orderRegistry(t)
	store := memory.New(reg)
	return orderapp.NewService(store, reg, es.NewFixedClock(t0), nil), store
}

func newCachedService(t testing.TB, cfg orderapp.CacheConfig) (*orderapp.Service, *memory.Store) {
	t.Helper()
	reg := orderRegistry(t)
	store := memory.New(reg)
	return orderapp.NewService(store, reg, es.NewFixedClock(t0), nil, orderapp.WithCache(orderapp.NewCache(cfg))), store
}

func ptr[T any](v T) *T { return &v }

func TestServiceUpdate(t *testing.T) {
	t.Parallel()
	type setup func(t *testing.T, s *memory.Store)
	placed := func(t *testing.T, s *memory.Store) {
		appendRaw(t, s, order.StreamID("o-1"), "seed", order.OrderPlaced{OrderID: "o-1", BuyerID: "b-1", Currency: "EUR", ShippingAddress: testAddress, Items: []order.Item{}, PlacedAt: t0})
	}
	tests := []struct {
		name        string
		setup       setup
		opts        orderapp.UpdateOptions
		decide      func(*order.Order) error
		wantCode    es.Code
		wantRule    string
		wantIs      error
		wantVersion int64
		wantEvents  int // events in the stream afterwards
		wantDecides int
		wantReplay  bool
	}{
		{name: "place a new order", opts: orderapp.UpdateOptions{CommandID: "c1", RequestHash: "h1"},
			decide: placeDecision("o-1"), wantVersion: 1, wantEvents: 1, wantDecides: 1},
		{name: "decide error is returned unchanged", setup: placed, opts: orderapp.UpdateOptions{CommandID: "c1"},
			decide: placeDecision("o-1"), wantCode: es.Conflict, wantRule: order.RuleAlreadyPlaced, wantEvents: 1, wantDecides: 1},
		{name: "not found from the domain", opts: orderapp.UpdateOptions{CommandID: "c1"},
			decide: addDecision("o-1", "p-1", 1, 100), wantCode: es.NotFound, wantRule: order.RuleNotFound, wantDecides: 1},
		{name: "no events: current version, nothing appended", setup: placed,
			decide: func(*order.Order) error { return nil }, wantVersion: 1, wantEvents: 1, wantDecides: 1},
		{name: "expected version matches", setup: placed, opts: orderapp.UpdateOptions{ExpectedVersion: ptr(int64(1))},
			decide: addDecision("o-1", "p-1", 1, 100), wantVersion: 2, wantEvents: 2, wantDecides: 1},
		{name: "expected version is stale", setup: placed, opts: orderapp.UpdateOptions{ExpectedVersion: ptr(int64(0))},
			decide: addDecision("o-1", "p-1", 1, 100), wantCode: es.Precondition, wantRule: es.RuleStaleVersion, wantEvents: 1},
		{name: "same command id and hash replays", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			appendRaw(t, s, order.StreamID("o-1"), "c9", order.ItemAdded{OrderID: "o-1", ProductID: "p", Name: "P", Quantity: 1, UnitPrice: eur(5), Discount: eur(0)})
		}, opts: orderapp.UpdateOptions{CommandID: "c9", RequestHash: ""},
			decide: addDecision("o-1", "p", 1, 5), wantVersion: 2, wantEvents: 2, wantReplay: true},
		{name: "same command id with another hash is refused", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			appendRaw(t, s, order.StreamID("o-1"), "c9", order.ItemAdded{OrderID: "o-1", ProductID: "p", Name: "P", Quantity: 1, UnitPrice: eur(5), Discount: eur(0)})
		}, opts: orderapp.UpdateOptions{CommandID: "c9", RequestHash: "other"},
			decide: addDecision("o-1", "p", 1, 5), wantCode: es.CommandReused, wantRule: es.RuleCommandReused, wantEvents: 2},
		{name: "replay wins over a stale expected version", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			appendRaw(t, s, order.StreamID("o-1"), "c9", order.ItemAdded{OrderID: "o-1", ProductID: "p", Name: "P", Quantity: 1, UnitPrice: eur(5), Discount: eur(0)})
			appendRaw(t, s, order.StreamID("o-1"), "c10", order.ItemRemoved{OrderID: "o-1", ProductID: "p"})
		}, opts: orderapp.UpdateOptions{CommandID: "c9", ExpectedVersion: ptr(int64(1))},
			decide: addDecision("o-1", "p", 1, 5), wantVersion: 2, wantEvents: 3, wantReplay: true},
		{name: "one lost race is retried on the new state", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			var once sync.Once
			s.SetBeforeAppend(false, func(stream string, _ int64) error {
				once.Do(func() {
					appendRaw(t, s, stream, "rival", order.ItemAdded{OrderID: "o-1", ProductID: "rival", Name: "R", Quantity: 1, UnitPrice: eur(7), Discount: eur(0)})
				})
				return nil
			})
		}, opts: orderapp.UpdateOptions{CommandID: "c1"},
			decide: addDecision("o-1", "p-1", 1, 100), wantVersion: 3, wantEvents: 3, wantDecides: 2},
		{name: "a lost race with a pinned version is stale", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			s.SetBeforeAppend(false, func(string, int64) error { return fmt.Errorf("append: %w", es.ErrConcurrency) })
		}, opts: orderapp.UpdateOptions{CommandID: "c1", ExpectedVersion: ptr(int64(1))},
			decide: addDecision("o-1", "p-1", 1, 100), wantCode: es.Precondition, wantRule: es.RuleStaleVersion, wantEvents: 1, wantDecides: 1},
		{name: "retries are bounded", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			s.SetBeforeAppend(false, func(string, int64) error { return fmt.Errorf("append: %w", es.ErrConcurrency) })
		}, opts: orderapp.UpdateOptions{CommandID: "c1", MaxRetries: 2},
			decide: addDecision("o-1", "p-1", 1, 100), wantIs: es.ErrConcurrency, wantCode: es.Conflict, wantRule: es.RuleConcurrency, wantEvents: 1, wantDecides: 3},
		{name: "default retry bound", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			s.SetBeforeAppend(false, func(string, int64) error { return fmt.Errorf("append: %w", es.ErrConcurrency) })
		}, opts: orderapp.UpdateOptions{CommandID: "c1"},
			decide: addDecision("o-1", "p-1", 1, 100), wantIs: es.ErrConcurrency, wantEvents: 1, wantDecides: orderapp.DefaultMaxRetries + 1},
		{name: "lost acknowledgement is recognised as our own commit", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			var calls atomic.Int64
			s.SetBeforeAppend(true, func(string, int64) error {
				if calls.Add(1) == 1 {
					return fmt.Errorf("append: %w", es.ErrConcurrency)
				}
				return nil
			})
		}, opts: orderapp.UpdateOptions{CommandID: "c1", RequestHash: "h"},
			decide: addDecision("o-1", "p-1", 1, 100), wantVersion: 2, wantEvents: 2, wantDecides: 1, wantReplay: true},
		{name: "lost acknowledgement with a pinned version", setup: func(t *testing.T, s *memory.Store) {
			placed(t, s)
			s.SetBeforeAppend(true, func(string, int64) error { return fmt.Errorf("append: %w", es.ErrConcurrency) })
		}, opts: orderapp.UpdateOptions{CommandID: "c1", RequestHash: "h", ExpectedVersion: ptr(int64(1))},
			decide: addDecision("o-1", "p-1", 1, 100), wantVersion: 2, wantEvents: 2, wantDecides: 1, wantReplay: true},
		{name: "unavailable store", setup: func(t *testing.T, s *memory.Store) { s.SetDown(true) },
			opts: orderapp.UpdateOptions{CommandID: "c1"}, decide: placeDecision("o-1"), wantCode: es.Unavailable, wantRule: es.RuleStoreUnavailable},
		{name: "unavailable store without command id", setup: func(t *testing.T, s *memory.Store) { s.SetDown(true) },
			decide: placeDecision("o-1"), wantCode: es.Unavailable, wantRule: es.RuleStoreUnavailable},
		{name: "store failure on append is passed on", setup: func(t *testing.T, s *memory.Store) {
			s.SetBeforeAppend(false, func(string, int64) error { return errBoom })
		}, decide: placeDecision("o-1"), wantIs: errBoom, wantCode: es.Internal, wantDecides: 1},
	}
	// Every case runs without and with a state cache: the cache may change
	// how often decide runs (it decides an uncached order as new first, and
	// confirms rejections with a load), never an answer or what is stored.
	for _, cached := range []bool{false, true} {
		for _, tc := range tests {
			runUpdateCase(t, tc.name, cached, func(t *testing.T) {
				var svc *orderapp.Service
				var store *memory.Store
				if cached {
					svc, store = newCachedService(t, orderapp.CacheConfig{})
				} else {
					svc, store = newService(t)
				}
				if tc.setup != nil {
					tc.setup(t, store)
				}
				var decides atomic.Int64
				res, err := svc.Update(context.Background(), "o-1", tc.opts, func(o *order.Order) error {
					decides.Add(1)
					return tc.decide(o)
				})
				if tc.wantCode != "" || tc.wantIs != nil {
					if tc.wantCode != "" && es.ErrorCode(err) != tc.wantCode {
						t.Fatalf("err = %v (code %q), want code %q", err, es.ErrorCode(err), tc.wantCode)
					}
					if tc.wantRule != "" && es.ErrorRule(err) != tc.wantRule {
						t.Fatalf("err = %v (rule %q), want rule %q", err, es.ErrorRule(err), tc.wantRule)
					}
					if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
						t.Fatalf("err = %v, want errors.Is %v", err, tc.wantIs)
					}
				} else {
					if err != nil {
						t.Fatalf("Update: %v", err)
					}
					if res.Version != tc.wantVersion || res.OrderID != "o-1" || res.Replayed != tc.wantReplay {
						t.Fatalf("result = %+v, want version %d replayed %v", res, tc.wantVersion, tc.wantReplay)
					}
				}
				if got := int(decides.Load()); !cached && got != tc.wantDecides {
					t.Errorf("decide ran %d times, want %d", got, tc.wantDecides)
				}
				if got := len(store.Events(order.StreamID("o-1"))); got != tc.wantEvents {
					t.Errorf("stream has %d events, want %d", got, tc.wantEvents)
				}
			})
		}
	}
}

func runUpdateCase(t *testing.T, name string, cached bool, f func(t *testing.T)) {
	t.Helper()
	if cached {
		name = "cached/" + name
	}
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		f(t)
	})
}

func TestServiceStampsMetadata(t *testing.T) {
	t.Parallel()
	svc, store := newService(t)
	res, err := svc.Update(context.Background(), "o-1", orderapp.UpdateOptions{
		CommandID: "cmd-1", RequestHash: "hash-1", CorrelationID: "corr-1", CausationID: "req-1",
	}, placeDecision("o-1", order.ItemInput{ProductID: "p-1", Name: "P", Quantity: 2, UnitPrice: eur(150)}))
	if err != nil {
		t.Fatal(err)
	}
	evs := store.Events(order.StreamID("o-1"))
	if len(evs) != 1 || len(res.EventIDs) != 1 || res.StoreRequests != 3 || res.RequestCharge != 14 {
		t.Fatalf("events %d, result %+v", len(evs), res)
	}
	e := evs[0]
	want := es.Metadata{EventID: res.EventIDs[0], StreamID: "order-o-1", Version: 1, CommandID: "cmd-1", CommandHash: "hash-1",
		CorrelationID: "corr-1", CausationID: "req-1", OccurredAt: t0}
	if e.Metadata != want || e.Type != order.EventOrderPlaced || e.SchemaVersion != order.OrderPlacedSchemaVersion {
		t.Fatalf("stored event = %+v, want metadata %+v", e, want)
	}
	rec, err := store.FindCommand(context.Background(), "order-o-1", "cmd-1")
	if err != nil || rec == nil || rec.CommandHash != "hash-1" {
		t.Fatalf("FindCommand = %+v, %v", rec, err)
	}
}

func TestServiceLoadsFromSnapshot(t *testing.T) {
	for _, cached := range []bool{false, true} {
		runUpdateCase(t, "orders", cached, func(t *testing.T) {
			svc, store := newService(t)
			if cached {
				svc, store = newCachedService(t, orderapp.CacheConfig{})
			}
			ctx := context.Background()
			for i, decide := range []func(*order.Order) error{
				placeDecision("o-1"), addDecision("o-1", "p-1", 1, 100), addDecision("o-1", "p-2", 2, 50),
			} {
				if _, err := svc.Update(ctx, "o-1", orderapp.UpdateOptions{CommandID: fmt.Sprint("c", i)}, decide); err != nil {
					t.Fatal(err)
				}
			}
			snap := snapshotAt(t, store, "o-1", 2)
			var total order.Money
			res, err := svc.Update(ctx, "o-1", orderapp.UpdateOptions{CommandID: "pay"}, func(o *order.Order) error {
				total = o.Total()
				return o.Pay(order.PayOrder{OrderID: "o-1", PaymentReference: "ref", Amount: o.Total()}, t0)
			})
			if err != nil || res.Version != 4 {
				t.Fatalf("Update after snapshot = %+v, %v", res, err)
			}
			if total != eur(200) {
				t.Fatalf("total from snapshot plus events = %v, want 200 EUR", total)
			}
			// A command inside the snapshot is found through the store, not the loaded events.
			res, err = svc.Update(ctx, "o-1", orderapp.UpdateOptions{CommandID: "c1"}, addDecision("o-1", "p-1", 1, 100))
			if err != nil || !res.Replayed || res.Version != 2 {
				t.Fatalf("retry of a command inside the snapshot = %+v, %v", res, err)
			}

			// A snapshot of another order in this stream is corrupt history, never used silently.
			bad := snap
			bad.Version = 4
			bad.State = []byte(`{"orderId":"o-2","status":"submitted","items":[]}`)
			if err := store.WriteSnapshot(ctx, bad); err != nil {
				t.Fatal(err)
			}
			_, err = svc.Update(ctx, "o-1", orderapp.UpdateOptions{}, func(*order.Order) error { return nil })
			if es.ErrorCode(err) != es.Internal {
				t.Fatalf("Update with a foreign snapshot: %v", err)
			}
		})
	}
}

func TestServiceConcurrentWriters(t *testing.T) {
	for _, cached := range []bool{false, true} {
		runUpdateCase(t, "orders", cached, func(t *testing.T) {
			svc, store := newService(t)
			if cached {
				svc, store = newCachedService(t, orderapp.CacheConfig{})
			}
			ctx := context.Background()
			if _, err := svc.Update(ctx, "o-1", orderapp.UpdateOptions{CommandID: "place"}, placeDecision("o-1")); err != nil {
				t.Fatal(err)
			}
			const writers = 16
			var wg sync.WaitGroup
			var accepted, conflicts atomic.Int64
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := svc.Update(ctx, "o-1", orderapp.UpdateOptions{CommandID: fmt.Sprint("w", w), MaxRetries: 100},
						addDecision("o-1", fmt.Sprint("p-", w), 1, 10))
					switch {
					case err == nil:
						accepted.Add(1)
					case errors.Is(err, es.ErrConcurrency):
						conflicts.Add(1)
					default:
						t.Errorf("writer %d: %v", w, err)
					}
				}()
			}
			wg.Wait()
			evs := store.Events("order-o-1")
			if int64(len(evs)) != 1+accepted.Load() || accepted.Load()+conflicts.Load() != writers {
				t.Fatalf("%d events for %d accepted, %d conflicts", len(evs), accepted.Load(), conflicts.Load())
			}
			seen := map[string]bool{}
			for i, e := range evs {
				if e.Version != int64(i+1) || seen[e.CommandID] {
					t.Fatalf("event %d: version %d command %q (duplicate %v)", i, e.Version, e.CommandID, seen[e.CommandID])
				}
				seen[e.CommandID] = true
			}
		})
	}
}

func TestServiceBackoffHonoursContext(t *testing.T) {
	t.Parallel()
	svc, store := newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	store.SetBeforeAppend(false, func(string, int64) error {
		cancel()
		return fmt.Errorf("append: %w", es.ErrConcurrency)
	})
	_, err := svc.Update(ctx, "o-1", orderapp.UpdateOptions{MaxRetries: 1000}, placeDecision("o-1"))
	if !errors.Is(err, context.Canceled) || es.ErrorCode(err) != es.Unavailable {
		t.Fatalf("err = %v (code %s), want a canceled, unavailable error", err, es.ErrorCode(err))
	}
}

func TestServiceReady(t *testing.T) {
	t.Parallel()
	svc, store := newService(t)
	if err := svc.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	store.SetDown(true)
	if err := svc.Ready(context.Background()); es.ErrorCode(err) != es.Unavailable {
		t.Fatalf("Ready with the store down = %v", err)
	}
	custom := orderapp.NewService(store, orderRegistry(t), es.SystemClock{}, func(context.Context) error { return errBoom })
	if err := custom.Ready(context.Background()); !errors.Is(err, errBoom) {
		t.Fatalf("Ready with a probe = %v", err)
	}
	if _, err := svc.Update(context.Background(), "o-1", orderapp.UpdateOptions{}, nil); es.ErrorCode(err) != es.Internal {
		t.Fatalf("Update with nil decide = %v", err)
	}
}

func TestNewServiceRefusesNil(t *testing.T) {
	t.Parallel()
	reg := orderRegistry(t)
	store := memory.New(reg)
	tests := []struct {
		name string
		call func()
	}{
		{"store", func() { orderapp.NewService(nil, reg, es.SystemClock{}, nil) }},
		{"registry", func() { orderapp.NewService(store, nil, es.SystemClock{}, nil) }},
		{"clock", func() { orderapp.NewService(store, reg, nil, nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.call()
		})
	}
}
