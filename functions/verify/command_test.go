package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/functions/verify"
	"orderctx/functions/verify/verifytest"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
)

// durableStore builds a consistent store in a data directory as `orderctx
// dev` keeps it (the embedded store under cosmos/, the broker under nats/)
// and closes everything, so verify can open the directory itself.
func durableStore(t *testing.T) (dir string, orders []string) {
	t.Helper()
	dir = t.TempDir()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := verifytest.Build(t, conn, natsbus.Config{DataDir: filepath.Join(dir, "nats")}, 3, 20, 150)
	if err := s.Bus.Close(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, s.Orders
}

// run runs the command as main does and returns its output and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	m := verify.NewMain()
	var out bytes.Buffer
	m.Out, m.Log, m.NATSURL, m.PostgresDSN = &out, slog.New(slog.DiscardHandler), "", "" // nothing of the environment
	m.Store = cosmosdb.Config{}
	if err := m.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	if cerr := m.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	return out.String(), err
}

func exitStatus(err error) int {
	var e *verify.Error
	if errors.As(err, &e) {
		return e.ExitStatus()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestMainExitStatus runs the command on a data directory: a consistent
// store exits 0 with the summary line; after a view is deleted it exits 1
// and prints the difference (as text and as JSON); a directory without a
// store, or a remote store without a bus, exits 2.
func TestMainExitStatus(t *testing.T) {
	t.Parallel()
	dir, orders := durableStore(t)
	out, err := run(t, "-data", dir)
	t.Log(out)
	if exitStatus(err) != 0 || !strings.Contains(out, "verify: consistent;") || !strings.Contains(out, "messages (ORDERS)") {
		t.Fatalf("clean store: err %v, output:\n%s", err, out)
	}

	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	victim := orders[0]
	if _, err := conn.Container(cosmosdb.Views).DeleteItem(context.Background(), pk(victim), victim, nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}

	out, err = run(t, "-data", dir, "-skip-bus")
	t.Log(out)
	if exitStatus(err) != verify.ExitDifferences || !strings.Contains(out, "view.missing") || !strings.Contains(out, "order-"+victim) ||
		!strings.Contains(out, "verify: 1 difference (view.missing 1)") || !strings.Contains(out, "bus not checked") {
		t.Fatalf("deleted view: err %v, output:\n%s", err, out)
	}
	out, err = run(t, "-data", dir, "-json")
	var report struct {
		OK              bool             `json:"ok"`
		DifferenceCount int              `json:"differenceCount"`
		Differences     []map[string]any `json:"differences"`
	}
	if exitStatus(err) != verify.ExitDifferences || json.Unmarshal([]byte(out), &report) != nil ||
		report.OK || report.DifferenceCount != 1 || report.Differences[0]["kind"] != "view.missing" {
		t.Fatalf("json: err %v, output:\n%s", err, out)
	}

	for name, args := range map[string][]string{
		"no store":               {"-data", t.TempDir()},
		"remote store, no bus":   {"-cosmos-endpoint", "https://example.invalid:443/"},
		"in-memory store":        {"-memory"},
		"page size out of range": {"-data", dir, "-page-size", "0"},
	} {
		if _, err := run(t, args...); exitStatus(err) != verify.ExitTrouble {
			t.Errorf("%s: err %v, want exit status %d", name, err, verify.ExitTrouble)
		}
	}
}

// TestMainRefusesAStoreInUse: while another process (here: this one) runs
// the embedded store of a data directory, verify says so and exits 2
// instead of waiting for the store's lock.
func TestMainRefusesAStoreInUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = run(t, "-data", dir, "-skip-bus")
	if exitStatus(err) != verify.ExitTrouble || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("err %v", err)
	}
}

func TestMaxDiffsBoundsThePrintedDifferences(t *testing.T) {
	t.Parallel()
	dir, orders := durableStore(t)
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range orders[:5] {
		if _, err := conn.Container(cosmosdb.Views).DeleteItem(context.Background(), pk(id), id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "-data", dir, "-max-diffs", "2")
	if exitStatus(err) != verify.ExitDifferences || strings.Count(out, "view.missing  ") != 2 ||
		!strings.Contains(out, "... and 3 more differences") || !strings.Contains(out, "5 differences (view.missing 5)") {
		t.Fatalf("err %v, output:\n%s", err, out)
	}
}

func pk(id string) azcosmos.PartitionKey { return azcosmos.NewPartitionKeyString(id) }
