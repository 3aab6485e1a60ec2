package cosmosdb_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/cosmosemu"
)

func TestOpenCreatesContainersWithPartitionKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := cosmosdb.Open(ctx, cosmosdb.Config{Memory: true, Database: "shop"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	want := map[string]string{"events": "/streamId", "snapshots": "/streamId", "views": "/id", "leases": "/id", "deadletters": "/consumer"}
	for name, path := range want {
		props, err := conn.Container(name).Read(ctx, nil)
		if err != nil {
			t.Fatalf("container %s: %v", name, err)
		}
		if got := props.ContainerProperties.PartitionKeyDefinition.Paths; len(got) != 1 || got[0] != path {
			t.Errorf("container %s partitioned on %v, want %s", name, got, path)
		}
	}
	// Opening again finds everything in place (409s are not errors).
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSkipCreateLeavesResourcesAlone(t *testing.T) {
	t.Parallel()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Memory: true, SkipCreate: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Container("events").Read(context.Background(), nil); cosmosdb.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("with SkipCreate the container exists: %v", err)
	}
}

func TestEmbeddedStoreAlsoServesTheEmulatorEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := cosmosdb.Open(ctx, cosmosdb.Config{Memory: true, EmulatorAddr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cred, _ := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
	outside, err := azcosmos.NewClientWithKey(conn.EmulatorEndpoint(), cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}})
	if err != nil {
		t.Fatal(err)
	}
	// A tool outside the process sees the same data the components write.
	pk := azcosmos.NewPartitionKeyString("s1")
	if _, err := conn.Container("events").CreateItem(ctx, pk, []byte(`{"id":"e1","streamId":"s1"}`), nil); err != nil {
		t.Fatal(err)
	}
	c, _ := outside.NewContainer("orderctx", "events")
	if _, err := c.ReadItem(ctx, pk, "e1", nil); err != nil {
		t.Fatalf("read through the emulator endpoint: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("COSMOS_ENDPOINT", "https://acct.documents.azure.com:443/")
	t.Setenv("COSMOS_KEY", "a2V5")
	t.Setenv("COSMOS_DATABASE", "db1")
	t.Setenv("COSMOS_SKIP_CREATE", "true")
	cfg := cosmosdb.ConfigFromEnv()
	if cfg.Endpoint != "https://acct.documents.azure.com:443/" || cfg.Key != "a2V5" || cfg.Database != "db1" || !cfg.SkipCreate {
		t.Fatalf("ConfigFromEnv = %+v", cfg)
	}
}

// A keyless config opens with a Microsoft Entra ID credential of the kind it
// names; tokens are fetched only at the first request.
func TestKeylessConfigsOpen(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]cosmosdb.Config{
		"DefaultAzureCredential":           {},
		"managed identity":                 {ManagedIdentity: true},
		"user-assigned managed identity":   {ManagedIdentity: true, ManagedIdentityClientID: "00000000-0000-0000-0000-000000000001"},
		"client id implies the managed id": {ManagedIdentityClientID: "00000000-0000-0000-0000-000000000001"},
	} {
		cfg.Endpoint, cfg.SkipCreate = "https://account.documents.azure.com:443/", true
		conn, err := cosmosdb.Open(context.Background(), cfg, nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if conn.Client == nil || conn.Embedded() != nil {
			t.Errorf("%s: no remote client", name)
		}
		conn.Close()
	}
}

// warnings is a log handler that counts warnings and closes first at the first.
type warnings struct {
	first chan struct{}
	n     *atomic.Int32
}

func newWarnings() warnings { return warnings{first: make(chan struct{}), n: new(atomic.Int32)} }

func (w warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && w.n.Add(1) == 1 {
		close(w.first)
	}
	return nil
}
func (w warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w warnings) WithGroup(string) slog.Handler      { return w }

// TestOpenWaitsForAStoreStarting: Open against an address where no store
// listens yet keeps trying (and says so) until one starts there, then
// creates the containers; a store that refuses the key is not asked again.
func TestOpenWaitsForAStoreStarting(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	w := newWarnings()
	opened := make(chan error, 1)
	go func() {
		conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Endpoint: "http://" + addr + "/", Key: cosmosemu.EmulatorKey, Database: "shop"}, slog.New(w))
		if err == nil {
			_, err = conn.Container("events").Read(context.Background(), nil)
		}
		opened <- err
	}()
	select {
	case <-w.first:
	case err := <-opened:
		t.Fatalf("Open without a store: %v, before any retry", err)
	}
	serve(t, addr, cosmosemu.EmulatorKey)
	if err := <-opened; err != nil {
		t.Fatalf("Open once the store is up: %v", err)
	}

	other := newWarnings()
	wrongKey := "QUJD" + cosmosemu.EmulatorKey[4:]
	if _, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Endpoint: "http://" + addr + "/", Key: wrongKey, Database: "shop"}, slog.New(other)); cosmosdb.StatusCode(err) != http.StatusUnauthorized || other.n.Load() != 0 {
		t.Fatalf("a refused key: %v after %d retries, want 401 at once", err, other.n.Load())
	}
}

// serve runs an in-memory store on addr until the test ends.
func serve(t *testing.T, addr, key string) {
	t.Helper()
	srv, err := cosmosemu.New(cosmosemu.Config{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, nil) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
}
