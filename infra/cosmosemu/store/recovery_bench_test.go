package store_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/store"
)

// BenchmarkRecovery measures how long a store of 200,000 event-sized items
// (~0.5 KB, written in batches of 50 as streams of events are) takes to
// open: reading its log back into memory.
func BenchmarkRecovery(b *testing.B) {
	const items, batch = 200_000, 50
	dir := b.TempDir()
	eng, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	db, _ := eng.CreateDatabase("db", nil)
	c, err := db.CreateContainer([]byte(`{"id":"c","partitionKey":{"paths":["/pk"]}}`), 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	pad := strings.Repeat("x", 350)
	for s := 0; s < items/batch; s++ {
		pk := "order-" + strconv.Itoa(s)
		ops := make([]store.Op, batch)
		for i := range ops {
			ops[i] = store.Op{Kind: store.OpCreate, Body: []byte(fmt.Sprintf(
				`{"id":"%d","pk":"%s","type":"order.item_added","data":{"productId":"p-1","quantity":2,"note":"%s"}}`, i, pk, pad))}
		}
		if res, ok := c.Execute(store.NewPartitionKey([]any{pk}), ops); !ok {
			b.Fatal(res[0].Err)
		}
	}
	if err := eng.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		eng, err := store.Open(store.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := eng.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/items, "ns/item")
}
