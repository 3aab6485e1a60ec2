// Package viewstoretest is the acceptance suite every view store
// (projector.Views) passes.
package viewstoretest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/orderview"
	"orderctx/functions/projector"
)

// Run runs the suite on a fresh store from newStore for each test. Ids carry
// a per-run prefix, so the suite can run against a shared account.
func Run(t *testing.T, newStore func(t *testing.T) projector.Views) {
	run := fmt.Sprintf("t%x-", time.Now().UnixNano())
	t.Run("create and get", func(t *testing.T) { testCreateGet(t, newStore(t), run) })
	t.Run("conditional writes", func(t *testing.T) { testConditional(t, newStore(t), run) })
	t.Run("get many", func(t *testing.T) { testGetMany(t, newStore(t), run) })
}

var at = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

func view(id string, version int64) orderview.View {
	refund := int64(450)
	paid := at.Add(time.Minute)
	return orderview.View{ID: id, OrderID: id, Status: orderview.Cancelled, BuyerID: "b-1", Currency: "EUR",
		ShippingAddress: orderview.Address{Street: "Hauptstraße 1", City: "Berlin", PostalCode: "10115", Country: "DE"},
		Items:           []orderview.Item{{ProductID: "p-1", Name: "Coffee", Quantity: 2, UnitPrice: 250, Discount: 50, LineTotal: 450}},
		Total:           450, RefundDue: &refund, PaymentReference: "psp-1", CancelReason: "late",
		PlacedAt: at, PaidAt: &paid, CancelledAt: &paid, UpdatedAt: paid, Version: version}
}

func get(t *testing.T, s projector.Views, ids ...string) map[string]projector.Stored {
	t.Helper()
	got, err := s.Get(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func testCreateGet(t *testing.T, s projector.Views, run string) {
	ctx := context.Background()
	if got := get(t, s, run+"o-1"); len(got) != 0 {
		t.Fatalf("Get before create = %v", got)
	}
	if got := get(t, s); len(got) != 0 {
		t.Fatalf("Get of no ids = %v", got)
	}
	want := view(run+"o-1", 3)
	etag, err := s.Create(ctx, want)
	if err != nil || etag == "" {
		t.Fatalf("create: etag %q, %v", etag, err)
	}
	for _, ids := range [][]string{{run + "o-1"}, {run + "o-1", run + "o-missing"}} {
		got := get(t, s, ids...)
		if len(got) != 1 || got[run+"o-1"].ETag != etag || !reflect.DeepEqual(got[run+"o-1"].View, want) {
			t.Fatalf("Get(%v) = %+v, want %+v with etag %s", ids, got, want, etag)
		}
	}
	if _, err := s.Create(ctx, view(run+"o-1", 4)); !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("second create: err = %v, want ErrConcurrency", err)
	}
	if got := get(t, s, run+"o-1"); got[run+"o-1"].View.Version != 3 {
		t.Fatalf("a refused create changed the view: %+v", got)
	}
}

func testConditional(t *testing.T, s projector.Views, run string) {
	ctx := context.Background()
	id := run + "o-2"
	if _, err := s.Replace(ctx, view(id, 2), `"no-such-etag"`); !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("replace of a missing view: err = %v, want ErrConcurrency", err)
	}
	first, err := s.Create(ctx, view(id, 1))
	if err != nil {
		t.Fatal(err)
	}
	etag, err := s.Replace(ctx, view(id, 2), first)
	if err != nil {
		t.Fatal(err)
	}
	second := get(t, s, id)[id]
	if second.ETag == first || second.ETag != etag || second.View.Version != 2 {
		t.Fatalf("after replace: %+v (first etag %s, returned %s)", second, first, etag)
	}
	if _, err := s.Replace(ctx, view(id, 9), first); !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("replace with a stale etag: err = %v, want ErrConcurrency", err)
	}
	if got := get(t, s, id)[id]; got.View.Version != 2 || got.ETag != second.ETag {
		t.Fatalf("a refused replace changed the view: %+v", got)
	}
}

func testGetMany(t *testing.T, s projector.Views, run string) {
	var ids []string
	for i := range 120 {
		id := fmt.Sprintf("%so-%03d", run, i)
		ids = append(ids, id)
		if i%2 == 0 {
			if _, err := s.Create(context.Background(), view(id, int64(i+1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := get(t, s, ids...)
	if len(got) != 60 {
		t.Fatalf("Get of 120 ids found %d views, want 60", len(got))
	}
	for id, st := range got {
		if st.View.ID != id || st.ETag == "" {
			t.Fatalf("%s: %+v", id, st)
		}
	}
}
