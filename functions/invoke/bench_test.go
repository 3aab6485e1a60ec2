package invoke_test

import (
	"context"
	"encoding/json"
	"testing"

	"orderctx/functions"
	"orderctx/functions/invoke"
)

// BenchmarkInvoke delivers a batch of 100 event documents (~330 bytes
// each) to a consumer that does nothing: the protocol's own cost per batch,
// in-process (funchost's hot path) and over loopback HTTP.
func BenchmarkInvoke(b *testing.B) {
	app := checkedInApp(b)
	nop := functions.ConsumerFunc(func(context.Context, []json.RawMessage) (functions.Result, error) { return functions.Result{}, nil })
	ctx := context.Background()
	inProcess, overHTTP := bothTargets(b, app, consumersFor(app, nop))
	docs := batch(100)
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	for name, target := range map[string]invoke.Target{"in-process": inProcess, "http": overHTTP} {
		b.Run(name, func(b *testing.B) {
			inv := invoke.New(*app.Function("ProjectOrders"), target, invoke.Options{})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := inv.Invoke(ctx, docs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
