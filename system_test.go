package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"orderctx/functions/verify/check"
	"orderctx/functions/verify/systemtest"
	"orderctx/infra/pgviews/pgtest"
)

// runAsOrderctx makes this test binary the orderctx binary: TestMain runs
// main() with the command line instead of the tests. The system tests start
// every component as such a process, so what runs is this module's own
// dispatch table and wiring, without a `go build` per test run.
const runAsOrderctx = "ORDERCTX_TEST_RUN_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(runAsOrderctx) == "1" {
		main()
		os.Exit(0)
	}
	pgtest.Main(m)
}

// launcher starts orderctx commands as processes of this test binary.
func launcher(t *testing.T) *systemtest.Launcher {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the system's processes")
	}
	return &systemtest.Launcher{Exe: os.Args[0], Env: []string{runAsOrderctx + "=1"}, LogDir: t.TempDir()}
}

// envInt reads a setting of the long runs (docs/reliability.md), def when unset.
func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// readAcks reads an acks file the crash harness's driver wrote.
func readAcks(t *testing.T, path string) []check.Ack {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []check.Ack
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a check.Ack
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// awaitQueryVersions asks the query API for every acknowledged order at
// (at least) its last acknowledged version, as a client reading its own
// writes would, and fails unless each is answered 200 at that version.
func awaitQueryVersions(t *testing.T, base string, acks []check.Ack) int {
	t.Helper()
	last := map[string]int64{}
	for _, a := range acks {
		last[a.OrderID] = max(last[a.OrderID], a.Version)
	}
	ids := make([]string, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		for {
			status, version, body := queryOrder(base, id, last[id])
			if status == http.StatusOK && version >= last[id] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("query API: order %s answered %d at version %d, want 200 at %d: %s", id, status, version, last[id], body)
			}
		}
	}
	return len(ids)
}

// queryOrder is GET /orders/{id}?minVersion=v on the query API: the
// status, the version and the body.
func queryOrder(base, id string, minVersion int64) (int, int64, string) {
	resp, err := http.Get(fmt.Sprintf("%s/orders/%s?minVersion=%d&wait=2s", base, id, minVersion))
	if err != nil {
		return 0, 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var v struct{ Version int64 }
	_ = json.Unmarshal(body, &v)
	return resp.StatusCode, v.Version, string(body)
}
