package cosmosdb_test

import (
	"context"
	"testing"

	"orderctx/infra/cosmosdb"
)

// TestEmbeddedStoresDoNotShareMetadata opens two embedded stores in one
// process: the SDK caches container metadata per endpoint, so each must see
// its own partition key ranges, not the other's.
func TestEmbeddedStoresDoNotShareMetadata(t *testing.T) {
	ctx := context.Background()
	ranges := func(partitions int) int {
		conn, err := cosmosdb.Open(ctx, cosmosdb.Config{Memory: true, Partitions: partitions}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		r, err := conn.Container(cosmosdb.Views).ReadFeedRanges(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(r)
	}
	if one, three := ranges(1), ranges(3); one != 1 || three != 3 {
		t.Fatalf("feed ranges %d and %d, want 1 and 3", one, three)
	}
}
