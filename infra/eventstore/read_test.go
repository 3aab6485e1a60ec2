package eventstore_test

import (
	"context"
	"testing"

	"orderctx/domain/es"
	"orderctx/infra/eventstore"
	"orderctx/infra/eventstore/storetest"
)

func TestReadEvent(t *testing.T) {
	t.Parallel()
	conn := openEmbedded(t)
	reg := storetest.Registry()
	store := eventstore.New(conn, reg)
	ctx := context.Background()
	envs, _ := reg.Stamp("s1", 0, []es.Payload{storetest.Happened{N: 1}, storetest.Happened{N: 2}},
		es.Causation{CommandID: "c1", CorrelationID: "corr", CausationID: "cause"}, timeNow(), nil)
	if _, err := store.Append(ctx, "s1", 0, envs); err != nil {
		t.Fatal(err)
	}
	got, err := store.ReadEvent(ctx, "s1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.EventID != envs[1].EventID || got.CommandID != "c1" || got.CausationID != "cause" ||
		got.Payload != (storetest.Happened{N: 2}) {
		t.Fatalf("read %+v", got)
	}
	for _, tc := range []struct {
		stream  string
		version int64
	}{{"s1", 3}, {"s2", 1}} {
		if _, err := store.ReadEvent(ctx, tc.stream, tc.version); es.ErrorCode(err) != es.NotFound {
			t.Fatalf("%s@%d: %v, want NotFound", tc.stream, tc.version, err)
		}
	}
}
