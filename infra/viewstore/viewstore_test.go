package viewstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/orderview"

	"orderctx/functions/projector"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/viewpointer"
	"orderctx/infra/viewstore"
	"orderctx/infra/viewstore/memory"
	"orderctx/infra/viewstore/viewstoretest"
)

func TestAcceptanceEmbedded(t *testing.T) {
	t.Parallel()
	viewstoretest.Run(t, func(t *testing.T) projector.Views { return viewstore.New(cosmosdbtest.Embedded(t, 4)) })
}

func TestAcceptanceMemory(t *testing.T) {
	t.Parallel()
	viewstoretest.Run(t, func(t *testing.T) projector.Views { return &memory.Store{} })
}

// TestAcceptanceConfigured runs the suite against a real account or emulator
// when COSMOS_ENDPOINT is set.
func TestAcceptanceConfigured(t *testing.T) {
	conn := cosmosdbtest.Configured(t)
	viewstoretest.Run(t, func(t *testing.T) projector.Views { return viewstore.New(conn) })
}

func TestAcceptanceRouted(t *testing.T) {
	t.Parallel()
	viewstoretest.Run(t, func(t *testing.T) projector.Views {
		conn := cosmosdbtest.Embedded(t, 2)
		return viewstore.NewRouted(conn, viewpointer.New(conn), time.Millisecond, nil)
	})
}

// TestRoutedFollowsTheSwitch: once the pointer names another container,
// writes go there, and a replace with an etag of the old container is
// refused as a conflict (so the projector reads the view again there).
func TestRoutedFollowsTheSwitch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := cosmosdbtest.Embedded(t, 2)
	pointer := viewpointer.New(conn)
	routed := viewstore.NewRouted(conn, pointer, time.Millisecond, nil)
	v := orderview.View{ID: "o-1", OrderID: "o-1", Status: orderview.Submitted, BuyerID: "b-1", Currency: "EUR",
		Items: []orderview.Item{}, PlacedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), Version: 1}
	oldETag, err := routed.Create(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.CreateViewsContainer(ctx, "views-2"); err != nil {
		t.Fatal(err)
	}
	from, err := pointer.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pointer.Switch(ctx, from, "views-2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for name, _ := routed.Container(ctx); name != "views-2"; name, _ = routed.Container(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("still writing to %s after the switch", name)
		}
	}
	if got, err := routed.Get(ctx, []string{"o-1"}); err != nil || len(got) != 0 {
		t.Fatalf("the new container already has %v (%v)", got, err)
	}
	v.Version = 2
	if _, err := routed.Replace(ctx, v, oldETag); !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("replace with the old container's etag: %v, want a conflict", err)
	}
	if _, err := routed.Create(ctx, v); err != nil {
		t.Fatal(err)
	}
	old, err := viewstore.New(conn).Get(ctx, []string{"o-1"})
	if err != nil || old["o-1"].View.Version != 1 {
		t.Fatalf("the old container changed: %+v, %v", old, err)
	}
}
