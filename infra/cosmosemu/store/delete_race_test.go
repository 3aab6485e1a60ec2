package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"orderctx/infra/cosmosemu/store"
)

// Writers still holding a container when it is deleted must get 404 and
// leave nothing behind: no bucket of items, no definition that brings the
// container back after a restart.
func TestWritesRacingAContainerDeletionLeaveNothingBehind(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eng, c := openContainer(t, dir)
	db, err := eng.Database("db")
	if err != nil {
		t.Fatal(err)
	}
	var wrote atomic.Int64
	var deleted atomic.Bool
	started := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				pk := store.NewPartitionKey([]any{id})
				afterDeletion := deleted.Load()
				res, ok := c.Execute(pk, []store.Op{{Kind: store.OpCreate, Body: []byte(`{"id":"` + id + `","pk":"` + id + `"}`)}})
				if !ok {
					if res[0].Status != 404 {
						t.Errorf("a write to a deleted container: %d %v, want 404", res[0].Status, res[0].Err)
					}
					return
				}
				if afterDeletion {
					t.Error("a write that began after the container's deletion returned succeeded")
					return
				}
				if wrote.Add(1) == 200 {
					once.Do(func() { close(started) })
				}
			}
		}()
	}
	<-started
	if err := db.DeleteContainer("c"); err != nil {
		t.Fatal(err)
	}
	deleted.Store(true)
	wg.Wait()
	if _, err := c.SplitRange("0"); err == nil {
		t.Error("a deleted container split a range")
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	buckets, err := store.LoggedBuckets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(buckets) != 1 || buckets[0] != "meta" {
		t.Fatalf("after the deletion the store holds buckets %q, want only the metadata", buckets)
	}
	eng2, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	db2, err := eng2.Database("db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db2.Container("c"); err == nil {
		t.Fatal("the deleted container is back after a restart")
	}
}
