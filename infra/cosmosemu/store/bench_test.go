package store_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"orderctx/infra/cosmosemu/store"
)

// BenchmarkDurableCreate measures the engine's durable create path without
// HTTP, with b.N creates spread over parallel writers (-cpu sets how many).
func BenchmarkDurableCreate(b *testing.B) {
	eng, err := store.Open(store.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	db, _ := eng.CreateDatabase("db", nil)
	c, err := db.CreateContainer([]byte(`{"id":"c","partitionKey":{"paths":["/pk"]}}`), 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := strconv.FormatInt(n.Add(1), 10)
			pk := store.NewPartitionKey([]any{"s" + id})
			res, _ := c.Execute(pk, []store.Op{{Kind: store.OpCreate, Body: []byte(`{"id":"` + id + `","pk":"s` + id + `","data":{"x":1}}`)}})
			if res[0].Err != nil {
				b.Fatal(res[0].Err)
			}
		}
	})
	st := eng.Stats()
	b.ReportMetric(float64(st.Requests)/float64(max(st.Commits, 1)), "writes/commit")
}
