package funchost_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/nats-io/nats.go/jetstream"

	"orderctx/functions/consumertest"
	"orderctx/functions/invoke"
	"orderctx/functions/verify/systemtest"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/cosmosemu"
)

// The process tests run funchost as a deployment of several instances does:
// separate processes sharing one store and one broker. This test process
// serves the embedded store over HTTP on loopback and runs an embedded NATS
// server with JetStream; every funchost is this test binary started again
// (TestMain) with COSMOS_ENDPOINT, COSMOS_KEY and NATS_URL, hosting the
// repository's own function app. The test writes orders through the real
// write side (orderapp on the event store, in this process) and checks the
// consumers' effects against the events container (endstate_test.go).

// Settings of every funchost the tests start.
const (
	// leaseExpiration is short so a killed process's ranges move within a
	// second; renewals and balancing run at a quarter of it.
	leaseExpiration = time.Second
	// snapshotEvery makes most orders of a small workload get snapshots.
	snapshotEvery = 5
	// within bounds every wait of these tests for the processes to act.
	within = 20 * time.Second
)

// rig is a store and a broker shared by funchost processes.
type rig struct {
	t        *testing.T
	conn     *cosmosdb.Conn      // this process's client of the store (in-process transport)
	world    *consumertest.World // the write side
	endpoint string              // the store over HTTP
	natsURL  string
	procs    *systemtest.Launcher // starts the processes; their logs are shown when the test fails
	js       jetstream.JetStream  // a client of the broker, once connected
}

// newRig starts an in-memory store with partitions physical partitions per
// container, serves it on 127.0.0.1, and starts the broker. With -short
// the test is skipped: it starts processes.
func newRig(t *testing.T, partitions int) *rig {
	t.Helper()
	if testing.Short() {
		t.Skip("starts funchost processes")
	}
	conn := cosmosdbtest.Embedded(t, partitions)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- conn.Embedded().Serve(ctx, ln, nil) }()
	t.Cleanup(func() { cancel(); <-served })
	ns, err := natsbus.StartServer(natsbus.Config{Listen: "127.0.0.1:0", Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	r := &rig{t: t, conn: conn, world: consumertest.On(t, conn), endpoint: "http://" + ln.Addr().String() + "/",
		natsURL: ns.ClientURL()}
	r.procs = &systemtest.Launcher{Exe: os.Args[0], LogDir: t.TempDir(), Env: r.env()}
	t.Cleanup(func() { r.procs.ShowLogs(t) })
	return r
}

// proc is a funchost process.
type proc = systemtest.Proc

// start starts a funchost process hosting the app's three functions (in
// process, or with extra "-handler-url", over HTTP).
func (r *rig) start(extra ...string) *proc {
	r.t.Helper()
	return r.procs.Start(r.t, "funchost", []string{childEnv + "=funchost"}, append([]string{"-app", "../..",
		"-lease-expiration", leaseExpiration.String(), "-snapshot-every", strconv.Itoa(snapshotEvery), "-stats-every", "0"}, extra...)...)
}

// startHandler starts `orderctx functions`, the custom handler, as the
// Functions host starts it, and returns its base URL.
func (r *rig) startHandler() string {
	r.t.Helper()
	h, err := invoke.StartProcess(context.Background(), r.command("functions", "-snapshot-every", strconv.Itoa(snapshotEvery)),
		invoke.ProcessOptions{AppRoot: "../.."})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(h.Kill)
	return h.BaseURL
}

// command is this test binary set up to run an orderctx command (see
// TestMain) against the rig's store and broker, logging to a file.
func (r *rig) command(name string, args ...string) *exec.Cmd {
	r.t.Helper()
	log, err := os.Create(filepath.Join(r.procs.LogDir, name+".log"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = log.Close() })
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), r.env()...), childEnv+"="+name)
	cmd.Stdout, cmd.Stderr = log, log
	return cmd
}

// env is the environment of every process: the rig's store and broker.
func (r *rig) env() []string {
	return []string{"COSMOS_ENDPOINT=" + r.endpoint, "COSMOS_KEY=" + cosmosemu.EmulatorKey,
		"COSMOS_DATABASE=" + r.conn.Database, "NATS_URL=" + r.natsURL,
		// Nothing of the environment the tests run in may redirect them.
		"CosmosDB=", "AzureWebJobsCosmosDB=", "CosmosDB__accountEndpoint=", "SERVICEBUS_NAMESPACE=", "SERVICEBUS_CONNECTION_STRING="}
}

// startN starts n processes.
func (r *rig) startN(n int) []*proc {
	out := make([]*proc, n)
	for i := range out {
		out[i] = r.start()
	}
	return out
}

// stop ends a process with SIGTERM, the graceful stop, and fails the test
// unless it exits cleanly.
func stop(t *testing.T, p *proc) {
	t.Helper()
	if err := p.Signal(syscall.SIGTERM, within); err != nil {
		t.Fatalf("funchost %d after SIGTERM: %v", p.PID(), err)
	}
}

// logLines counts the lines of the processes' logs that match re.
func (r *rig) logLines(re *regexp.Regexp) int { return r.procs.LogLines(re) }

// await polls cond until it holds, failing the test after within.
func (r *rig) await(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out after %v waiting for %s; leases: %+v", within, what, r.leases())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lease is a lease document of any function, as the test reads it.
type lease struct {
	Function string // the lease prefix without its dot: projector, publisher, snapshotter
	Token    string
	PID      int // of the owning process; 0 when released
}

// leases lists the lease documents of every function.
func (r *rig) leases() []lease {
	r.t.Helper()
	pager := r.conn.Container(cosmosdb.Leases).NewQueryItemsPager("SELECT * FROM c", azcosmos.NewPartitionKey(), nil)
	var out []lease
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		for _, raw := range page.Items {
			var d struct {
				ID, LeaseToken, Owner string
			}
			if err := json.Unmarshal(raw, &d); err != nil || d.LeaseToken == "" {
				continue // the .info and .lock markers
			}
			fn, _, _ := strings.Cut(d.ID, ".")
			out = append(out, lease{Function: fn, Token: d.LeaseToken, PID: ownerPID(d.Owner)})
		}
	}
	return out
}

// ownerPID reads the process id out of a lease owner, "<host>-<pid>-<hex>".
func ownerPID(owner string) int {
	parts := strings.Split(owner, "-")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// functionNames are the lease prefixes of the checked-in app.
var functionNames = []string{"projector", "publisher", "snapshotter"}

// sharedBy says whether every lease of every function is held by one of
// procs, each holding at least one lease of each function.
func (r *rig) sharedBy(procs ...*proc) bool {
	held := map[string]map[int]int{}
	for _, l := range r.leases() {
		if held[l.Function] == nil {
			held[l.Function] = map[int]int{}
		}
		held[l.Function][l.PID]++
	}
	for _, fn := range functionNames {
		for _, p := range procs {
			if held[fn][p.PID()] == 0 {
				return false
			}
			delete(held[fn], p.PID())
		}
		if len(held[fn]) > 0 { // released, or held by a process not among procs
			return false
		}
	}
	return true
}

// tiled says whether each function has n leases whose ranges tile the
// key space: "<min>-<max>" tokens from "" to "FF", one after the other.
// (This process's SDK client caches the container's ranges, so its own
// ReadFeedRanges may not have seen a split yet.)
func (r *rig) tiled(n int) bool {
	next := map[string]map[string]string{} // per function, min -> max
	for _, l := range r.leases() {
		if next[l.Function] == nil {
			next[l.Function] = map[string]string{}
		}
		lo, hi, _ := strings.Cut(l.Token, "-")
		next[l.Function][lo] = hi
	}
	for _, fn := range functionNames {
		if len(next[fn]) != n {
			return false
		}
		at := ""
		for range n {
			at = next[fn][at]
		}
		if at != "FF" {
			return false
		}
	}
	return true
}

// split splits a physical partition of the events container through the
// store's control endpoint, as another process would, and returns the ids
// of the two ranges that replace it.
func (r *rig) split(rangeID string) [2]string {
	r.t.Helper()
	body, _ := json.Marshal(map[string]string{"database": r.conn.Database, "container": cosmosdb.Events, "range": rangeID})
	var out struct{ Children [2]string }
	if err := json.Unmarshal(r.control(http.MethodPost, "split", body, http.StatusOK), &out); err != nil {
		r.t.Fatal(err)
	}
	return out.Children
}

// control sends a signed request to the store's control endpoint
// /_emulator/<action> and returns the answer's body, failing the test
// unless its status is want.
func (r *rig) control(method, action string, body []byte, want int) []byte {
	r.t.Helper()
	answer, status, err := cosmosemu.Control(r.endpoint, cosmosemu.EmulatorKey, method, action, body)
	if err != nil || status != want {
		r.t.Fatalf("%s /_emulator/%s: status %d, %s %v", method, action, status, answer, err)
	}
	return answer
}
