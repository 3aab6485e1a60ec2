package viewpointer_test

import (
	"context"
	"errors"
	"testing"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/viewpointer"
)

func TestSwitchesAreConditionedOnThePointerRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := viewpointer.New(cosmosdbtest.Embedded(t, 1))
	first, err := s.Read(ctx)
	if err != nil || first.Container != cosmosdb.Views {
		t.Fatalf("without a document: %+v, %v; want %s", first, err, cosmosdb.Views)
	}
	second, err := s.Switch(ctx, first, "views-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Switch(ctx, first, "views-3"); !errors.Is(err, viewpointer.ErrChanged) {
		t.Fatalf("a switch from a stale pointer (no document): %v, want ErrChanged", err)
	}
	third, err := s.Switch(ctx, second, "views-3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Switch(ctx, second, "views-4"); !errors.Is(err, viewpointer.ErrChanged) {
		t.Fatalf("a switch from a stale pointer: %v, want ErrChanged", err)
	}
	got, err := s.Read(ctx)
	if err != nil || got.Container != "views-3" || got.Previous != "views-2" || !got.SwitchedAt.Equal(third.SwitchedAt) {
		t.Fatalf("read %+v, %v; want views-3 after views-2", got, err)
	}
	if name, err := s.ActiveViews(ctx); name != "views-3" || err != nil {
		t.Fatalf("ActiveViews: %q, %v", name, err)
	}
}
