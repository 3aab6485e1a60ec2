package store_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"orderctx/infra/cosmosemu/store"
)

// BenchmarkDurableCreate measures the engine's durable create path without
// HTTP, with b.N creates spread over parallel writers (-cpu sets how many).
func BenchmarkDurableCreate(b *testing.B) {
	eng, c := openBenchStore(b, b.TempDir())
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

// openBenchStore opens a store in dir (in memory when empty), closed when
// the benchmark ends, with a container "c" partitioned on /pk.
func openBenchStore(b *testing.B, dir string) (*store.Engine, *store.Container) {
	b.Helper()
	eng, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = eng.Close() })
	db, _ := eng.CreateDatabase("db", nil)
	c, err := db.CreateContainer([]byte(`{"id":"c","partitionKey":{"paths":["/pk"]}}`), 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	return eng, c
}

// openBenchContainer opens a durable container holding one item in each of
// n partitions ("s0".."s<n-1>", item ids "0".."<n-1>").
func openBenchContainer(b *testing.B, n int) *store.Container {
	b.Helper()
	_, c := openBenchStore(b, b.TempDir())
	for i := range n {
		upsertBench(b, c, i, 0)
	}
	return c
}

func upsertBench(b *testing.B, c *store.Container, i, v int) {
	id := strconv.Itoa(i)
	body := `{"id":"` + id + `","pk":"s` + id + `","v":` + strconv.Itoa(v) + `}`
	if res, _ := c.Execute(store.NewPartitionKey([]any{"s" + id}), []store.Op{{Kind: store.OpUpsert, Body: []byte(body)}}); res[0].Err != nil {
		b.Error(res[0].Err)
	}
}

// readRoundRobin times b.N point reads of the items of openBenchContainer,
// from parallel readers.
func readRoundRobin(b *testing.B, c *store.Container, items int) {
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1) % int64(items))
			if _, err := c.ReadItem(store.NewPartitionKey([]any{"s" + strconv.Itoa(i)}), strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDurablePointRead measures ReadItem of durable items from parallel
// readers: the check that what the answer observed is durable is one atomic
// load when nothing is pending.
func BenchmarkDurablePointRead(b *testing.B) {
	const items = 1024
	readRoundRobin(b, openBenchContainer(b, items), items)
}

// BenchmarkDurableReadBesideWrites reads items of 16 partitions that 4
// writers keep upserting: a read that observes a write whose log group is
// not synced yet waits for that sync, so this is the latency the guarantee
// costs a read racing a write.
func BenchmarkDurableReadBesideWrites(b *testing.B) {
	const items, writers = 16, 4
	c := openBenchContainer(b, items)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; ; v++ {
				select {
				case <-stop:
					return
				default:
				}
				upsertBench(b, c, (w+v*writers)%items, v)
			}
		}()
	}
	readRoundRobin(b, c, items)
	b.StopTimer()
	close(stop)
	wg.Wait()
}

// BenchmarkExecuteMemory measures Execute itself (validation, staging,
// publishing) in memory, where no log sync hides its cost: one create, and
// a batch of ten creates and a read in one partition.
func BenchmarkExecuteMemory(b *testing.B) {
	for _, size := range []int{1, 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			_, c := openBenchStore(b, "")
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pk := "s" + strconv.Itoa(i)
				ops := make([]store.Op, 0, size+1)
				for j := range size {
					id := strconv.Itoa(j)
					ops = append(ops, store.Op{Kind: store.OpCreate, Body: []byte(`{"id":"` + id + `","pk":"` + pk + `","data":{"x":1}}`)})
				}
				if size > 1 {
					ops = append(ops, store.Op{Kind: store.OpRead, ID: "0"})
				}
				if res, ok := c.Execute(store.NewPartitionKey([]any{pk}), ops); !ok {
					b.Fatal(res[0].Err)
				}
			}
		})
	}
}
