package eventstore_test

import (
	"context"
	"fmt"
	"testing"

	"orderctx/domain/es"
	"orderctx/infra/eventstore"
	"orderctx/infra/eventstore/storetest"
)

// BenchmarkLoad compares loading a short stream with loading a 10,000-event
// stream that has a snapshot 10 events before its end: with snapshots the
// cost follows the events after the snapshot, not the stream's length.
func BenchmarkLoad(b *testing.B) {
	cases := []struct {
		name     string
		events   int
		snapshot int64 // 0: none
	}{
		{"events=10", 10, 0},
		{"events=10000/snapshot=9990", 10000, 9990},
		{"events=10000/no-snapshot", 10000, 0},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			t := &testing.T{}
			conn := openEmbedded(t)
			reg := storetest.Registry()
			store := eventstore.New(conn, reg)
			ctx := context.Background()
			stream := fmt.Sprintf("bench-%d-%d", tc.events, tc.snapshot)
			for v := 0; v < tc.events; v += 100 {
				n := min(100, tc.events-v)
				payloads := make([]es.Payload, n)
				for i := range payloads {
					payloads[i] = storetest.Happened{N: v + i + 1, Note: "some payload of a typical size"}
				}
				envs, _ := reg.Stamp(stream, int64(v), payloads, es.Causation{CommandID: fmt.Sprint(v)}, timeNow(), nil)
				if _, err := store.Append(ctx, stream, int64(v), envs); err != nil {
					b.Fatal(err)
				}
			}
			if tc.snapshot > 0 {
				if err := store.WriteSnapshot(ctx, es.Snapshot{StreamID: stream, AggregateType: "bench", SchemaVersion: 1, Version: tc.snapshot, State: []byte(`{"n":1}`)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got, err := store.Load(ctx, stream)
				if err != nil || got.Version != int64(tc.events) {
					b.Fatalf("load: %v version %d", err, got.Version)
				}
			}
		})
	}
}
