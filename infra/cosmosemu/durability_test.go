package cosmosemu_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// childEnv makes the test binary act as a server process for the kill -9 test.
const childEnv = "COSMOSEMU_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		runChildServer(dir)
		return
	}
	os.Exit(m.Run())
}

func runChildServer(dir string) {
	srv, err := cosmosemu.New(cosmosemu.Config{Dir: dir})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("LISTENING", ln.Addr().String())
	_ = srv.Serve(context.Background(), ln, nil)
}

// startChild starts a server process on dir and returns it with its address.
func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "LISTENING ") {
		_ = cmd.Process.Kill()
		t.Fatalf("child server did not start: %q %v", line, err)
	}
	return cmd, "http://" + strings.TrimSpace(strings.TrimPrefix(line, "LISTENING ")) + "/"
}

func clientFor(t *testing.T, endpoint string) *azcosmos.Client {
	t.Helper()
	cred, _ := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
	client, err := azcosmos.NewClientWithKey(endpoint, cred, &azcosmos.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// TestAcknowledgedWritesSurviveKill9 kills the server process while batches
// stream in, restarts it on the same directory, and checks that every
// acknowledged batch is there whole, no unacknowledged batch is there in part,
// and the change feed holds each item once.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	child, ep := startChild(t, dir)
	client := clientFor(t, ep)
	ctx := context.Background()
	c := newContainer(t, client, "durable")

	const writers, perBatch = 8, 3
	var acked sync.Map // "writer-n" -> true
	var count atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				stream := fmt.Sprintf("w%d-%d", w, n)
				pk := azcosmos.NewPartitionKeyString(stream)
				b := c.NewTransactionalBatch(pk)
				for i := 0; i < perBatch; i++ {
					b.CreateItem(cosmostest.Item(fmt.Sprint(i), stream, nil), nil)
				}
				resp, err := c.ExecuteTransactionalBatch(ctx, b, nil)
				if err != nil {
					return // the server is gone
				}
				if resp.Success {
					acked.Store(stream, true)
					count.Add(1)
				}
			}
		}(w)
	}
	deadline := time.Now().Add(30 * time.Second)
	for count.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // waiting on another process's progress
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	close(stop)
	wg.Wait()
	if count.Load() == 0 {
		t.Fatal("no batch was acknowledged before the kill")
	}

	child2, ep2 := startChild(t, dir)
	defer func() { _ = child2.Process.Kill(); _ = child2.Wait() }()
	c2, _ := clientFor(t, ep2).NewContainer("db", "durable")
	missing := 0
	acked.Range(func(k, _ any) bool {
		stream := k.(string)
		for i := 0; i < perBatch; i++ {
			if _, err := c2.ReadItem(ctx, azcosmos.NewPartitionKeyString(stream), fmt.Sprint(i), nil); err != nil {
				missing++
			}
		}
		return true
	})
	if missing > 0 {
		t.Fatalf("%d items of acknowledged batches are missing after kill -9", missing)
	}
	// Every stream in the feed is complete (atomicity survived the crash) and no item repeats.
	perStream := map[string]int{}
	seen := map[string]bool{}
	for _, it := range cosmostest.DrainFeed(t, c2) {
		key := it["pk"].(string) + "/" + it["id"].(string)
		if seen[key] {
			t.Fatalf("item %s twice in the change feed", key)
		}
		seen[key] = true
		perStream[it["pk"].(string)]++
	}
	for stream, n := range perStream {
		if n != perBatch {
			t.Fatalf("stream %s has %d of %d items: a batch was torn by the crash", stream, n, perBatch)
		}
	}
	t.Logf("%d batches acknowledged before kill -9; %d streams present after restart", count.Load(), len(perStream))
	// Writes continue after the restart with fresh LSNs: a new change shows up after the old ones.
	if _, err := c2.CreateItem(ctx, azcosmos.NewPartitionKeyString("after"), cosmostest.Item("x", "after", nil), nil); err != nil {
		t.Fatal(err)
	}
	all := cosmostest.DrainFeed(t, c2)
	if len(all) != len(seen)+1 {
		t.Fatalf("feed after restart has %d items, want %d", len(all), len(seen)+1)
	}
}
