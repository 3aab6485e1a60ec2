package es_test

import (
	"context"
	"sync"
	"testing"

	"orderctx/domain/es"
)

func TestMeter(t *testing.T) {
	t.Parallel()
	var none *es.Meter
	none.Add(5) // a nil meter ignores reports
	if none.Requests() != 0 || none.Charge() != 0 || es.MeterFrom(context.Background()) != nil {
		t.Fatal("nil meter or a context without one reported something")
	}
	m := &es.Meter{}
	ctx := es.WithMeter(context.Background(), m)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				es.MeterFrom(ctx).Add(0.5)
			}
		}()
	}
	wg.Wait()
	if m.Requests() != 800 || m.Charge() != 400 {
		t.Fatalf("requests %d charge %v, want 800 and 400", m.Requests(), m.Charge())
	}
}
