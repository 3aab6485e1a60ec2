package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"orderctx/functions/verify/verifytest"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
)

// TestFillDataDirectory fills the data directory ORDERCTX_VERIFY_FILL with
// ORDERCTX_VERIFY_EVENTS events (default 1,000,000), their views, snapshots
// and messages, as `orderctx dev` keeps them, for a large run of the
// command (docs/verify.md):
//
//	ORDERCTX_VERIFY_FILL=/tmp/big go test -run FillDataDirectory -timeout 2h ./functions/verify/
//	go run . verify -data /tmp/big
//
// Without ORDERCTX_VERIFY_FILL it is skipped.
func TestFillDataDirectory(t *testing.T) {
	dir := os.Getenv("ORDERCTX_VERIFY_FILL")
	if dir == "" {
		t.Skip("set ORDERCTX_VERIFY_FILL to a data directory to fill")
	}
	n := 1_000_000
	if s := os.Getenv("ORDERCTX_VERIFY_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bus, err := natsbus.Open(context.Background(), natsbus.Config{DataDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	events, orders := verifytest.Fill(t, conn, bus, n, uint64(time.Now().UnixNano()))
	t.Logf("filled %s with %d events of %d orders in %v", dir, events, orders, time.Since(start))
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
	if err := conn.Close(); err != nil {
		t.Error(err)
	}
}
