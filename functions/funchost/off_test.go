package funchost_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/functions/consumers"
	"orderctx/functions/funchost"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
)

// TestFunctionsOffRunNoProcessor: a function named in Config.Off gets no
// change-feed processor: it is absent from the statistics and never writes a
// lease, while the other functions take theirs.
func TestFunctionsOffRunNoProcessor(t *testing.T) {
	t.Parallel()
	app := loadApp(t)
	conn := cosmosdbtest.Embedded(t, 1)
	// Every invocation succeeds without doing anything: what is under test
	// is which triggers run, not the consumers.
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`))
	})
	host, err := funchost.New(funchost.Config{App: app, Conn: conn, Handler: ok, LeaseExpiration: time.Second,
		Off: map[string]string{consumers.CopyOrdersToPostgres: "not configured"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, listed := host.Stats()[consumers.CopyOrdersToPostgres]; listed {
		t.Fatal("a function that is off is in the statistics")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("funchost: %v", err)
		}
	}()
	on := []string{"projector.", "publisher.", "snapshotter."}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ids := leaseIDs(t, conn)
		if hasPrefixes(ids, on) {
			for _, id := range ids {
				if strings.HasPrefix(id, "pgcopy.") {
					t.Fatalf("the function that is off wrote lease %s", id)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the functions that are on did not take leases: %v", ids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leaseIDs lists the lease container's documents.
func leaseIDs(t *testing.T, conn *cosmosdb.Conn) []string {
	t.Helper()
	pager := conn.Container(cosmosdb.Leases).NewQueryItemsPager("SELECT c.id FROM c", azcosmos.NewPartitionKey(), nil)
	var ids []string
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Items {
			var d struct{ ID string }
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// hasPrefixes says whether each prefix starts one of ids.
func hasPrefixes(ids, prefixes []string) bool {
	for _, p := range prefixes {
		found := false
		for _, id := range ids {
			found = found || strings.HasPrefix(id, p)
		}
		if !found {
			return false
		}
	}
	return true
}
