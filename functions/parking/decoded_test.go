package parking_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order/ordertest"
	"orderctx/functions/parking"
	"orderctx/infra/deadletters/memory"
)

// TestSharedDecodedCacheChangesNothingSeen: two consumers sharing a
// DecodedCache, given the same documents (in buffers of their own), hand
// their handlers the same events and park the same letters, each with the
// document of its own batch, as a consumer without the cache does.
func TestSharedDecodedCacheChangesNothingSeen(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	batch := func() []json.RawMessage {
		return []json.RawMessage{doc(t, reg, "a", 1), json.RawMessage(`not json`), doc(t, reg, "b", 1), doc(t, reg, "a", 2)}
	}
	cache := parking.NewDecodedCache(0)
	run := func(cache *parking.DecodedCache) ([][]string, []parking.Letter) {
		t.Helper()
		store, h := &memory.Store{}, &recorder{}
		c, err := parking.New(parking.Config{Consumer: "projector", Registry: reg, Store: store, Handler: h,
			Clock: es.NewFixedClock(t0), Decoded: cache})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Handle(context.Background(), batch()); err != nil {
			t.Fatal(err)
		}
		ls, err := store.List(context.Background(), "projector")
		if err != nil {
			t.Fatal(err)
		}
		return h.calls, ls
	}
	wantCalls, wantLetters := run(nil)
	for _, who := range []string{"the first consumer (decodes)", "the second consumer (from the cache)"} {
		calls, ls := run(cache)
		if !reflect.DeepEqual(calls, wantCalls) || !reflect.DeepEqual(ls, wantLetters) {
			t.Fatalf("%s: calls %v, letters %+v; without the cache %v, %+v", who, calls, ls, wantCalls, wantLetters)
		}
	}
	if len(wantLetters) != 1 || wantLetters[0].DocumentText != "not json" {
		t.Fatalf("letters %+v, want the undecodable document's", wantLetters)
	}
}
