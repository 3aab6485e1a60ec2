package parking

import (
	"encoding/json"
	"fmt"
	"testing"

	"orderctx/domain/es"
)

// TestDecodedCacheIsBounded: the cache keeps the latest entries documents,
// evicting the oldest first, and a hit carries the caller's bytes.
func TestDecodedCacheIsBounded(t *testing.T) {
	t.Parallel()
	reg := es.NewRegistry()
	c := NewDecodedCache(2)
	raw := func(i int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"streamId":"s-%d","version":0}`, i)) }
	for i := range 3 {
		c.decode(reg, raw(i))
	}
	if len(c.entries) != 2 {
		t.Fatalf("%d entries, want 2", len(c.entries))
	}
	if _, held := c.entries[string(raw(0))]; held {
		t.Fatal("the oldest entry was kept")
	}
	mine := raw(2)
	it := c.decode(reg, mine)
	if &it.raw[0] != &mine[0] || it.err == nil || it.env.StreamID != "s-2" {
		t.Fatalf("a hit = %+v (raw %p, mine %p)", it, &it.raw[0], &mine[0])
	}
	if got := (*DecodedCache)(nil).decode(reg, mine); got.err == nil || &got.raw[0] != &mine[0] {
		t.Fatalf("without a cache: %+v", got)
	}
}
