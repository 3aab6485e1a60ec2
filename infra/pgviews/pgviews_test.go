package pgviews_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"orderctx/domain/orderview"
	"orderctx/functions/projector"
	"orderctx/infra/pgviews"
	"orderctx/infra/pgviews/pgtest"
	"orderctx/infra/viewstore/viewstoretest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, dsn string) *pgviews.Store {
	t.Helper()
	s, err := pgviews.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestAcceptance(t *testing.T) {
	t.Parallel()
	viewstoretest.Run(t, func(t *testing.T) projector.Views { return open(t, pgtest.DSN(t)) })
}

// TestMigrationsRunOnceFromManyProcesses: stores starting together on an
// empty database all end up with the schema, applied once.
func TestMigrationsRunOnceFromManyProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := open(t, dsn).Migrate(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if orders, items, err := open(t, dsn).Counts(context.Background()); err != nil || orders != 0 || items != 0 {
		t.Fatalf("counts %d, %d: %v", orders, items, err)
	}
}

// TestRowsHoldTheWholeView: a view read back equals the view written (times
// to the microsecond, items in their order), and a replace swaps the items.
func TestRowsHoldTheWholeView(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.DSN(t))
	at := time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.FixedZone("CEST", 7200))
	refund := int64(0)
	v := orderview.View{ID: "o-1", OrderID: "o-1", Status: orderview.Paid, BuyerID: "b-1", Currency: "NOK",
		ShippingAddress: orderview.Address{Street: "Storgata 1", City: "Oslo", PostalCode: "0150", Country: "NO"},
		Items: []orderview.Item{
			{ProductID: "p-9", Name: "Zebra", Quantity: 1, UnitPrice: 100, LineTotal: 100},
			{ProductID: "p-1", Name: "Apple", Quantity: 3, UnitPrice: 50, Discount: 10, LineTotal: 140},
		},
		Total: 240, RefundDue: &refund, PaymentReference: "psp-1", PlacedAt: at, PaidAt: &at, UpdatedAt: at, Version: 2}
	etag, err := s.Create(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	got := get(t, s, "o-1")
	want := v
	micro := at.Truncate(time.Microsecond).UTC()
	want.PlacedAt, want.PaidAt, want.UpdatedAt = micro, &micro, micro
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
	}
	v.Items, v.Total, v.Version, v.RefundDue = v.Items[1:], 140, 3, nil
	if _, err := s.Replace(ctx, v, etag); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "o-1"); len(got.Items) != 1 || got.Items[0].ProductID != "p-1" || got.Version != 3 || got.RefundDue != nil {
		t.Fatalf("after replace: %+v", got)
	}
	if _, items, _ := s.Counts(ctx); items != 1 {
		t.Fatalf("%d item rows after the replace; want 1", items)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if all, err := s.All(ctx); err != nil || len(all) != 0 {
		t.Fatalf("after reset: %d orders, %v", len(all), err)
	}
}

func get(t *testing.T, s *pgviews.Store, id string) orderview.View {
	t.Helper()
	got, err := s.Get(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return got[id].View
}
