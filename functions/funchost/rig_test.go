package funchost_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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
	logs     string // the processes' logs, shown when the test fails
	started  int
	js       jetstream.JetStream // a client of the broker, once connected
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
		natsURL: ns.ClientURL(), logs: t.TempDir()}
	t.Cleanup(r.showLogsOnFailure)
	return r
}

// proc is a funchost process.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// start starts a funchost process hosting the app's three functions (in
// process, or with extra "-handler-url", over HTTP).
func (r *rig) start(extra ...string) *proc {
	r.t.Helper()
	cmd := r.command("funchost", append([]string{"-app", "../..", "-lease-expiration", leaseExpiration.String(),
		"-snapshot-every", strconv.Itoa(snapshotEvery), "-stats-every", "0"}, extra...)...)
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	r.t.Cleanup(p.kill)
	return p
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
	r.started++
	log, err := os.Create(filepath.Join(r.logs, fmt.Sprintf("%02d-%s.log", r.started, name)))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = log.Close() })
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"="+name, "COSMOS_ENDPOINT="+r.endpoint, "COSMOS_KEY="+cosmosemu.EmulatorKey,
		"COSMOS_DATABASE="+r.conn.Database, "NATS_URL="+r.natsURL,
		// Nothing of the environment the tests run in may redirect them.
		"CosmosDB=", "AzureWebJobsCosmosDB=", "CosmosDB__accountEndpoint=", "SERVICEBUS_NAMESPACE=", "SERVICEBUS_CONNECTION_STRING=")
	cmd.Stdout, cmd.Stderr = log, log
	return cmd
}

// startN starts n processes.
func (r *rig) startN(n int) []*proc {
	out := make([]*proc, n)
	for i := range out {
		out[i] = r.start()
	}
	return out
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// kill ends the process with SIGKILL (a crash: nothing is released) and
// waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop ends the process with SIGTERM, the graceful stop, and fails the test
// unless it exits cleanly.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("funchost %d did not stop within %v of SIGTERM", p.pid(), within)
	}
	if p.err != nil {
		t.Fatalf("funchost %d after SIGTERM: %v", p.pid(), p.err)
	}
}

func (r *rig) showLogsOnFailure() {
	if !r.t.Failed() {
		return
	}
	files, _ := filepath.Glob(filepath.Join(r.logs, "*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		r.t.Logf("--- %s (tail)\n%s", filepath.Base(f), b)
	}
}

// logLines counts the lines of the processes' logs that match re.
func (r *rig) logLines(re *regexp.Regexp) int {
	files, _ := filepath.Glob(filepath.Join(r.logs, "*.log"))
	n := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		n += len(re.FindAll(b, -1))
	}
	return n
}

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
			if held[fn][p.pid()] == 0 {
				return false
			}
			delete(held[fn], p.pid())
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
	req, err := http.NewRequest(method, r.endpoint+"_emulator/"+action, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("x-ms-date", date)
	req.Header.Set("Authorization", masterKeySignature(method, "_emulator", "_emulator/"+action, date))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != want {
		r.t.Fatalf("%s /_emulator/%s: status %d, %s %v", method, action, resp.StatusCode, answer, err)
	}
	return answer
}

// masterKeySignature is the Authorization header of a request signed with
// the emulator's key, as the SDKs compute it.
func masterKeySignature(method, resourceType, resourceLink, date string) string {
	key, _ := base64.StdEncoding.DecodeString(cosmosemu.EmulatorKey)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(strings.ToLower(method) + "\n" + strings.ToLower(resourceType) + "\n" + resourceLink + "\n" + strings.ToLower(date) + "\n\n"))
	return url.QueryEscape("type=master&ver=1.0&sig=" + base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
