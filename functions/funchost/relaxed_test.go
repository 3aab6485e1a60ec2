package funchost_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/functions/consumers"
	"orderctx/functions/funchost"
	"orderctx/functions/protocol"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
)

// batchCounter is a custom handler that counts each function's batches and
// documents.
type batchCounter struct {
	mu      sync.Mutex
	batches map[string]int
	docs    map[string]int
}

func (c *batchCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := protocol.DecodeRequest(body, "documents", protocol.Limits{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fn := strings.TrimPrefix(r.URL.Path, "/")
	c.mu.Lock()
	c.batches[fn]++
	c.docs[fn] += len(req.Documents)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`))
}

func (c *batchCounter) count(fn string) (batches, docs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.batches[fn], c.docs[fn]
}

// TestRelaxedFunctionsGatherLongerBatches: a function whose function.json
// polls every 5 s (the snapshotter) waits RelaxedBatchDelay after a short
// batch, so a trickle of events reaches it in one batch, while the projector
// (1 s in function.json) gets them a few milliseconds apart, batch by batch.
func TestRelaxedFunctionsGatherLongerBatches(t *testing.T) {
	t.Parallel()
	app := loadApp(t)
	conn := cosmosdbtest.Embedded(t, 1)
	counter := &batchCounter{batches: map[string]int{}, docs: map[string]int{}}
	host, err := funchost.New(funchost.Config{App: app, Conn: conn, Handler: counter, RelaxedBatchDelay: 2 * time.Second,
		Off: map[string]string{consumers.CopyOrdersToPostgres: "not under test"}})
	if err != nil {
		t.Fatal(err)
	}
	runHost(t, host)
	events := conn.Container(cosmosdb.Events)
	write := func(v int) {
		doc := fmt.Appendf(nil, `{"id":"order-o-1:%d","streamId":"order-o-1","version":%d}`, v, v)
		if _, err := events.CreateItem(context.Background(), azcosmos.NewPartitionKeyString("order-o-1"), doc, nil); err != nil {
			t.Fatal(err)
		}
	}
	delivered := func(n int) func() bool {
		return func() bool {
			_, p := counter.count(consumers.ProjectOrders)
			_, s := counter.count(consumers.SnapshotOrders)
			return p == n && s == n
		}
	}
	write(1)
	waitUntil(t, "the first event at both functions", delivered(1))
	for v := 2; v <= 6; v++ {
		time.Sleep(20 * time.Millisecond) // the trickle's pace, not a wait for something
		write(v)
	}
	waitUntil(t, "the trickle at both functions", delivered(6))
	if b, _ := counter.count(consumers.SnapshotOrders); b != 2 {
		t.Errorf("the snapshotter got %d batches, want 2: the first event, then the five written during its 2 s wait", b)
	}
	if b, _ := counter.count(consumers.ProjectOrders); b < 4 {
		t.Errorf("the projector got %d batches for events 20 ms apart, want them about one by one", b)
	}
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
