package cosmosemu_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name    string
		fault   cosmosemu.Fault
		wantErr int // 0: the SDK's retries absorb the fault
	}{
		{"429 with retry-after is retried", cosmosemu.Fault{Method: "POST", PathContains: "/docs", Status: 429, RetryAfter: 5 * time.Millisecond, Count: 2}, 0},
		// azcosmos never retries a write on 503 or 408 (it may have been applied): the caller decides.
		{"503 on a write surfaces", cosmosemu.Fault{Method: "POST", PathContains: "/docs", Status: 503, Count: 1}, 503},
		{"408 on a write surfaces", cosmosemu.Fault{Method: "POST", PathContains: "/docs", Status: 408, Count: 1}, 408},
		{"500 on a read is retried", cosmosemu.Fault{Method: "GET", PathContains: "/docs/", Status: 500, Count: 1}, 0},
		{"latency only", cosmosemu.Fault{Method: "POST", PathContains: "/docs", Latency: 20 * time.Millisecond, Count: 1}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, client := newServer(t, cosmosemu.Config{})
			c := newContainer(t, client, "f")
			pk := azcosmos.NewPartitionKeyString("p")
			if tc.fault.Method == "GET" {
				if _, err := c.CreateItem(ctx, pk, cosmostest.Item("a", "p", nil), nil); err != nil {
					t.Fatal(err)
				}
			}
			srv.Faults().Add(tc.fault)
			start := time.Now()
			var err error
			if tc.fault.Method == "GET" {
				_, err = c.ReadItem(ctx, pk, "a", nil)
			} else {
				_, err = c.CreateItem(ctx, pk, cosmostest.Item("a", "p", nil), nil)
			}
			if got := cosmostest.StatusOf(err); got != tc.wantErr {
				t.Fatalf("want status %d, got %v", tc.wantErr, err)
			}
			if srv.Faults().Fired() == 0 {
				t.Fatal("the fault never fired")
			}
			if tc.fault.Latency > 0 && time.Since(start) < tc.fault.Latency {
				t.Fatalf("latency fault did not delay the call")
			}
			srv.Faults().Clear()
			if tc.wantErr == 0 {
				if _, err := c.ReadItem(ctx, azcosmos.NewPartitionKeyString("p"), "a", nil); err != nil {
					t.Fatalf("item missing after absorbed fault: %v", err)
				}
			}
		})
	}
}

// TestFaultAfterServing: a rule with After serves the request and then
// answers its status: the create fails with 408 for the client, yet the
// item is stored, as after a real timeout that came too late.
func TestFaultAfterServing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "after")
	pk := azcosmos.NewPartitionKeyString("p")
	srv.Faults().Add(cosmosemu.Fault{Method: "POST", PathContains: "/docs", Status: http.StatusRequestTimeout, After: true, Count: 1})
	if _, err := c.CreateItem(ctx, pk, cosmostest.Item("a", "p", nil), nil); cosmostest.StatusOf(err) != http.StatusRequestTimeout {
		t.Fatalf("create under an after-fault: %v, want 408", err)
	}
	if _, err := c.ReadItem(ctx, pk, "a", nil); err != nil {
		t.Fatalf("the item the failed create wrote: %v", err)
	}
	if _, err := c.CreateItem(ctx, pk, cosmostest.Item("a", "p", nil), nil); cosmostest.StatusOf(err) != http.StatusConflict {
		t.Fatalf("creating it again: %v, want 409", err)
	}
	srv.Faults().Clear()
	if srv.Faults().Injected() != 1 {
		t.Fatalf("injected %d faults, want 1 (counted past Clear)", srv.Faults().Injected())
	}
}

func TestSplitFaultOnChangeFeedIsRecovered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "gone")
	if _, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("p"), cosmostest.Item("a", "p", nil), nil); err != nil {
		t.Fatal(err)
	}
	srv.Faults().Add(cosmosemu.Fault{Method: "GET", PathContains: "/docs", Header: "A-IM", Status: http.StatusGone, SubStatus: 1002, Count: 1})
	if got := cosmostest.DrainFeed(t, c); len(got) != 1 {
		t.Fatalf("feed after an injected 410/1002: %d items", len(got))
	}
	if srv.Faults().Fired() != 1 {
		t.Fatalf("fault fired %d times", srv.Faults().Fired())
	}
}
