// Package systemtest runs the whole system as separate processes for the
// proofs that it loses nothing under crashes, faults and concurrency
// (docs/reliability.md): the embedded store (`orderctx cosmos`), the command
// API, the query API and funchost, each a process of one executable
// (Launcher: a test binary that runs orderctx's commands), restartable on
// the same address; a NATS JetStream server in the test process; the crash
// harness's load driver, which records every acknowledged command; and
// `orderctx verify` against those acknowledgements.
package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"orderctx/functions/pgcopy"
	"orderctx/functions/verify"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosemu"
)

// The components, by the orderctx command that runs each.
const (
	Cosmos     = "cosmos"
	CommandAPI = "commandapi"
	QueryAPI   = "queryapi"
	Funchost   = "funchost"
)

// Components are every component of a System, in start order.
var Components = []string{Cosmos, CommandAPI, QueryAPI, Funchost}

// Ready bounds the wait for a started component to answer, and every
// other wait of a system for a process.
const Ready = 20 * time.Second

// Config shapes a System.
type Config struct {
	// AppRoot is the Functions app root funchost hosts (host.json and the
	// function folders): the module root.
	AppRoot string
	// Partitions is the physical partitions per container of the store.
	Partitions int
	// PostgresDSN, when set, is the PostgreSQL copy funchost keeps and
	// verify checks.
	PostgresDSN string
	// LeaseExpiration of funchost: short, so a killed instance's ranges
	// move quickly.
	LeaseExpiration time.Duration
}

// System is the components as processes on one data directory.
type System struct {
	tb       testing.TB
	cfg      Config
	launcher *Launcher
	dataDir  string
	addr     map[string]string // listen address per component
	procs    map[string]*Proc
	natsURL  string
	// Starts counts the starts of each component.
	Starts map[string]int
}

// Start starts a NATS server in this process and every component, each
// answering, through launcher.
func Start(tb testing.TB, launcher *Launcher, cfg Config) *System {
	tb.Helper()
	if cfg.Partitions == 0 {
		cfg.Partitions = 4
	}
	if cfg.LeaseExpiration == 0 {
		cfg.LeaseExpiration = time.Second
	}
	ns, err := natsbus.StartServer(natsbus.Config{Listen: "127.0.0.1:0", Memory: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ns.Shutdown)
	s := &System{tb: tb, cfg: cfg, launcher: launcher, dataDir: tb.TempDir(), addr: map[string]string{},
		procs: map[string]*Proc{}, natsURL: ns.ClientURL(), Starts: map[string]int{}}
	tb.Cleanup(func() { launcher.ShowLogs(tb) })
	for _, c := range Components {
		s.addr[c] = FreeAddr(tb)
	}
	for _, c := range Components {
		s.Run(c)
	}
	return s
}

// FreeAddr is a loopback address no one listens on now. A component keeps
// it across restarts, so its clients find it again.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// CosmosEndpoint is the store's endpoint.
func (s *System) CosmosEndpoint() string { return "http://" + s.addr[Cosmos] + "/" }

// URL is the base URL of the command API or the query API.
func (s *System) URL(component string) string { return "http://" + s.addr[component] }

// Run starts a component and waits until it answers (funchost: until it
// is started; it serves nothing).
func (s *System) Run(component string) {
	s.tb.Helper()
	var args []string
	switch component {
	case Cosmos:
		args = []string{"-addr", s.addr[Cosmos], "-data", filepath.Join(s.dataDir, "cosmos"), "-http",
			"-partitions", strconv.Itoa(s.cfg.Partitions)}
	case CommandAPI, QueryAPI:
		args = []string{"-addr", s.addr[component]}
	case Funchost:
		args = []string{"-app", s.cfg.AppRoot, "-lease-expiration", s.cfg.LeaseExpiration.String(), "-stats-every", "0",
			"-snapshot-every", "5"}
	}
	s.Starts[component]++
	p := s.launcher.Start(s.tb, component, s.env(), append([]string{component}, args...)...)
	s.procs[component] = p
	switch component {
	case Funchost: // serves nothing
	case Cosmos:
		s.awaitAnswer(component, p, "/") // any answer, even 401
	default:
		s.awaitAnswer(component, p, "/healthz")
	}
}

// env is every component's environment: the system's store, broker and copy.
func (s *System) env() []string {
	return []string{"COSMOS_ENDPOINT=" + s.CosmosEndpoint(), "COSMOS_KEY=" + cosmosemu.EmulatorKey,
		"COSMOS_DATABASE=orderctx", "NATS_URL=" + s.natsURL, pgcopy.EnvDSN + "=" + s.cfg.PostgresDSN,
		// Nothing of the environment the tests run in may redirect them.
		"CosmosDB=", "AzureWebJobsCosmosDB=", "CosmosDB__accountEndpoint=", "SERVICEBUS_NAMESPACE=", "SERVICEBUS_CONNECTION_STRING="}
}

// awaitAnswer waits until the process at name's address answers path (the
// store: anything; the APIs: 200), failing if it exits first.
func (s *System) awaitAnswer(name string, p *Proc, path string) {
	s.tb.Helper()
	Await(s.tb, Ready, name+" to answer", func() bool {
		select {
		case <-p.Exited():
			s.tb.Fatalf("%s exited at start: %v", name, p.Err())
		default:
		}
		resp, err := http.Get("http://" + s.addr[name] + path)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return path == "/" || resp.StatusCode == http.StatusOK
	})
}

// Another starts one more instance of the command API or the query API, on
// an address of its own, and returns its base URL. It is not restarted by
// Crash; it stops when the test ends.
func (s *System) Another(component string) string {
	s.tb.Helper()
	n := s.Starts[component+"+"] + 1
	name := fmt.Sprintf("%s+%d", component, n)
	s.Starts[component+"+"] = n
	s.addr[name] = FreeAddr(s.tb)
	p := s.launcher.Start(s.tb, component, s.env(), component, "-addr", s.addr[name])
	s.awaitAnswer(name, p, "/healthz")
	return "http://" + s.addr[name]
}

// Crash kills a component with SIGKILL and starts it again. It first
// fails the test if any component has exited on its own.
func (s *System) Crash(component string) {
	s.tb.Helper()
	s.CheckRunning()
	s.procs[component].Kill()
	s.Run(component)
}

// CheckRunning fails the test if a component has exited without being
// killed or stopped: nothing restarts it, so the system would stall.
func (s *System) CheckRunning() {
	s.tb.Helper()
	for _, c := range Components {
		select {
		case <-s.procs[c].Exited():
			s.tb.Fatalf("%s exited on its own (%v); its log: %s", c, s.procs[c].Err(), s.procs[c].Log)
		default:
		}
	}
}

// Faults sends a fault rule (a cosmosemu.Fault as JSON) to the store's
// signed control endpoint; nil removes every rule.
func (s *System) Faults(rule []byte) { s.control(faultsMethod(rule), "faults", rule) }

// FaultsInjected is how many faults the store has injected since it started.
func (s *System) FaultsInjected() int {
	s.tb.Helper()
	var out struct{ Injected int }
	if err := json.Unmarshal(s.control(http.MethodGet, "faults", nil), &out); err != nil {
		s.tb.Fatal(err)
	}
	return out.Injected
}

// Split splits a physical partition of a container and returns the
// control endpoint's answer ({"children":[id,id]}).
func (s *System) Split(container, rangeID string) []byte {
	body := fmt.Appendf(nil, `{"database":"orderctx","container":%q,"range":%q}`, container, rangeID)
	return s.control(http.MethodPost, "split", body)
}

func faultsMethod(rule []byte) string {
	if rule == nil {
		return http.MethodDelete
	}
	return http.MethodPost
}

// control sends a signed request to /_emulator/<action>; a 2xx answer's
// body is returned, anything else fails the test.
func (s *System) control(method, action string, body []byte) []byte {
	s.tb.Helper()
	out, status, err := cosmosemu.Control(s.CosmosEndpoint(), cosmosemu.EmulatorKey, method, action, body)
	if err != nil || status/100 != 2 {
		s.tb.Fatalf("%s /_emulator/%s: status %d, %s %v", method, action, status, out, err)
	}
	return out
}

// Verify runs `orderctx verify` on the system's store, broker and copy,
// with the acks file when one is given, and returns its output and error
// (nil: consistent).
func (s *System) Verify(ctx context.Context, acks string) (string, error) {
	m := verify.NewMain()
	var out bytes.Buffer
	m.Out, m.Log = &out, slog.New(slog.DiscardHandler)
	m.Store = cosmosdb.Config{Endpoint: s.CosmosEndpoint(), Key: cosmosemu.EmulatorKey, Database: "orderctx"}
	m.NATSURL, m.PostgresDSN, m.AcksFile, m.JSON = s.natsURL, s.cfg.PostgresDSN, acks, false
	err := m.Run(ctx)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

// AwaitVerified runs verify until it passes, failing tb with its last
// output after within. A consumer still catching up shows as a stale or
// missing view or message, which the next run no longer finds; what is
// lost or doubled stays, and fails at the deadline.
func (s *System) AwaitVerified(acks string, within time.Duration) string {
	s.tb.Helper()
	s.CheckRunning()
	deadline := time.Now().Add(within)
	for {
		out, err := s.Verify(context.Background(), acks)
		if err == nil {
			return out
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("verify did not pass within %v: %v\n%s", within, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
