package cosmosemu_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// cosmosCommand is one `orderctx cosmos` running in-process.
type cosmosCommand struct {
	addr string // 127.0.0.1:port it listens on
	stop func() error
}

// startCosmosCommand runs the cosmos command (what `orderctx cosmos` dispatches to)
// with args plus -addr 127.0.0.1:<free port>, waits until it accepts
// connections, and stops it when the test ends.
func startCosmosCommand(t *testing.T, args ...string) *cosmosCommand {
	t.Helper()
	if os.Getenv("GOGC") == "" {
		// the cosmos command tunes the GC of the whole process unless GOGC is set:
		// leave the test process as it was.
		t.Setenv("GOGC", "100")
	}
	// The free port is found by listening on port 0 and closing; should
	// another process take it before the cosmos command listens, try another.
	for attempt := 0; ; attempt++ {
		addr := freeLoopbackAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- runMain(ctx, append(append([]string{}, args...), "-addr", addr)) }()
		err := waitAccepting(addr, done)
		if err == nil {
			var once sync.Once
			var stopErr error
			stop := func() error {
				once.Do(func() {
					cancel()
					select {
					case stopErr = <-done:
					case <-time.After(30 * time.Second):
						stopErr = errors.New("orderctx cosmos did not stop within 30 s of its context ending")
					}
				})
				return stopErr
			}
			t.Cleanup(func() {
				if err := stop(); err != nil {
					t.Errorf("stop: %v", err)
				}
			})
			return &cosmosCommand{addr: addr, stop: stop}
		}
		cancel()
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == 4 {
			t.Fatalf("orderctx cosmos %v -addr %s: %v", args, addr, err)
		}
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// waitAccepting polls until addr accepts a connection, or the command
// ends (its error is returned), or 20 s pass.
func waitAccepting(addr string, done <-chan error) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("returned before it was stopped")
			}
			return err
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("not accepting connections after 20 s: " + err.Error())
		}
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("returned before it was stopped")
			}
			return err
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
}

// sdkClient returns an azcosmos client for endpoint signing with key.
func sdkClient(t *testing.T, endpoint, key string, hc *http.Client) *azcosmos.Client {
	t.Helper()
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{}}
	}
	t.Cleanup(hc.CloseIdleConnections)
	cred, err := azcosmos.NewKeyCredential(key)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azcosmos.NewClientWithKey(endpoint, cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: hc, Retry: policy.RetryOptions{MaxRetries: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// createContainer creates database db (if needed) and container id on /pk.
func createContainer(t *testing.T, client *azcosmos.Client, db, id string) *azcosmos.ContainerClient {
	t.Helper()
	ctx := context.Background()
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: db}, nil); err != nil && cosmostest.StatusOf(err) != http.StatusConflict {
		t.Fatalf("create database %s: %v", db, err)
	}
	d, _ := client.NewDatabase(db)
	if _, err := d.CreateContainer(ctx, azcosmos.ContainerProperties{ID: id,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil); err != nil {
		t.Fatalf("create container %s: %v", id, err)
	}
	c, _ := d.NewContainer(id)
	return c
}

// writeAndRead creates item id in c and reads it back.
func writeAndRead(t *testing.T, c *azcosmos.ContainerClient, id string) {
	t.Helper()
	ctx := context.Background()
	pk := azcosmos.NewPartitionKeyString("p")
	body, _ := json.Marshal(map[string]any{"id": id, "pk": "p", "n": 7})
	if _, err := c.CreateItem(ctx, pk, body, nil); err != nil {
		t.Fatalf("create item %s: %v", id, err)
	}
	readItem(t, c, id)
}

func readItem(t *testing.T, c *azcosmos.ContainerClient, id string) {
	t.Helper()
	got, err := c.ReadItem(context.Background(), azcosmos.NewPartitionKeyString("p"), id, nil)
	if err != nil {
		t.Fatalf("read item %s: %v", id, err)
	}
	var m map[string]any
	if err := json.Unmarshal(got.Value, &m); err != nil || m["id"] != id || m["n"] != float64(7) {
		t.Fatalf("read item %s: %s (%v)", id, got.Value, err)
	}
}

func feedRanges(t *testing.T, c *azcosmos.ContainerClient) int {
	t.Helper()
	ranges, err := c.ReadFeedRanges(context.Background(), nil)
	if err != nil {
		t.Fatalf("read feed ranges: %v", err)
	}
	return len(ranges)
}

// TestCosmosCommandPlainHTTPInMemory: with -http -memory an SDK client works
// against the command, a new container has one feed range, nothing is
// written to disk, and the command returns nil when its context ends.
func TestCosmosCommandPlainHTTPInMemory(t *testing.T) {
	// The default data directory is relative: run where a stray write shows.
	cwd := t.TempDir()
	t.Chdir(cwd)
	cmd := startCosmosCommand(t, "-http", "-memory")
	client := sdkClient(t, "http://"+cmd.addr+"/", cosmosemu.EmulatorKey, nil)
	c := createContainer(t, client, "shop", "orders")
	writeAndRead(t, c, "a")
	if n := feedRanges(t, c); n != 1 {
		t.Errorf("default -partitions: %d feed ranges, want 1", n)
	}
	if err := cmd.stop(); err != nil {
		t.Fatalf("orderctx cosmos returned %v when stopped, want nil", err)
	}
	if entries, err := os.ReadDir(cwd); err != nil || len(entries) != 0 {
		t.Fatalf("-memory wrote to the working directory: %v %v", entries, err)
	}
	if conn, err := net.DialTimeout("tcp", cmd.addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the command stopped", cmd.addr)
	}
}

// TestCosmosCommandKey: with -key the server accepts that key only.
func TestCosmosCommandKey(t *testing.T) {
	raw := make([]byte, 64)
	_, _ = rand.Read(raw)
	key := base64.StdEncoding.EncodeToString(raw)
	cmd := startCosmosCommand(t, "-http", "-memory", "-key", key)
	ctx := context.Background()

	emulator := sdkClient(t, "http://"+cmd.addr+"/", cosmosemu.EmulatorKey, nil)
	if _, err := emulator.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "k"}, nil); cosmostest.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("emulator key against -key: want 401, got %v", err)
	}
	owner := sdkClient(t, "http://"+cmd.addr+"/", key, nil)
	c := createContainer(t, owner, "k", "items")
	writeAndRead(t, c, "a")
}

// TestCosmosCommandPartitions: -partitions 4 gives a new container 4 feed ranges.
func TestCosmosCommandPartitions(t *testing.T) {
	cmd := startCosmosCommand(t, "-http", "-memory", "-partitions", "4")
	client := sdkClient(t, "http://"+cmd.addr+"/", cosmosemu.EmulatorKey, nil)
	c := createContainer(t, client, "p", "wide")
	if n := feedRanges(t, c); n != 4 {
		t.Fatalf("-partitions 4: %d feed ranges, want 4", n)
	}
	for i := 0; i < 8; i++ {
		writeAndRead(t, c, "item-"+strconv.Itoa(i))
	}
}

// TestCosmosCommandHTTPSKeepsCertificate: without -http the command serves
// HTTPS with a certificate it writes into the -data directory, and a second
// start on that directory serves the same certificate (and the same data).
func TestCosmosCommandHTTPSKeepsCertificate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "cosmos") // created by the command
	first := startCosmosCommand(t, "-data", data)

	certPEM, err := os.ReadFile(filepath.Join(data, "cert.pem"))
	if err != nil {
		t.Fatalf("certificate not written into the data directory: %v", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(data, "key.pem"))
	if err != nil {
		t.Fatalf("certificate key not written into the data directory: %v", err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("cert.pem holds no certificate: %q", certPEM)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	trusting := func() *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	// servedCert returns the certificate the server presents; the handshake
	// only succeeds if it chains to cert.pem for both names clients use.
	servedCert := func(addr string) []byte {
		t.Helper()
		var der []byte
		for _, name := range []string{"localhost", "127.0.0.1"} {
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: name})
			if err != nil {
				t.Fatalf("TLS handshake with %s as %s: %v", addr, name, err)
			}
			der = conn.ConnectionState().PeerCertificates[0].Raw
			conn.Close()
		}
		return der
	}
	if !bytes.Equal(servedCert(first.addr), block.Bytes) {
		t.Fatal("the server does not present the certificate in the data directory")
	}
	client := sdkClient(t, "https://"+first.addr+"/", cosmosemu.EmulatorKey, trusting())
	c := createContainer(t, client, "tls", "items")
	writeAndRead(t, c, "a")
	if err := first.stop(); err != nil {
		t.Fatalf("first run returned %v when stopped", err)
	}

	second := startCosmosCommand(t, "-data", data)
	certAgain, err := os.ReadFile(filepath.Join(data, "cert.pem"))
	if err != nil || !bytes.Equal(certAgain, certPEM) {
		t.Fatalf("cert.pem changed on the second start (%v)", err)
	}
	if keyAgain, err := os.ReadFile(filepath.Join(data, "key.pem")); err != nil || !bytes.Equal(keyAgain, keyPEM) {
		t.Fatalf("key.pem changed on the second start (%v)", err)
	}
	if !bytes.Equal(servedCert(second.addr), block.Bytes) {
		t.Fatal("the second start presents another certificate")
	}
	// A client trusting only the first certificate reads what the first run wrote.
	again := sdkClient(t, "https://"+second.addr+"/", cosmosemu.EmulatorKey, trusting())
	c2, _ := again.NewContainer("tls", "items")
	readItem(t, c2, "a")
}

// runMain runs the command as `orderctx cosmos args...` would.
func runMain(ctx context.Context, args []string) error {
	m := cosmosemu.NewMain()
	if err := m.ParseFlags(args); err != nil {
		return err
	}
	defer m.Close()
	return m.Run(ctx)
}
