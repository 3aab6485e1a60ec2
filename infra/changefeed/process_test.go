package changefeed_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"orderctx/infra/changefeed"
)

// Processors in separate processes share a container served over HTTP by
// this test; one is killed with SIGKILL. Every child appends what it
// delivers to its own file, one line "<unix ns> <event id>" per document,
// written before the handler returns (so before the checkpoint).

// TestProcessChild is a child's body; it runs only when the parent starts it.
func TestProcessChild(t *testing.T) {
	endpoint := os.Getenv("CHANGEFEED_CHILD_ENDPOINT")
	if endpoint == "" {
		t.Skip("started by TestProcessesShareTheFeedAndTakeOverAfterAKill")
	}
	out, err := os.OpenFile(os.Getenv("CHANGEFEED_CHILD_OUT"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, http.DefaultClient, endpoint)
	db, _ := client.NewDatabase("db")
	events, _ := db.NewContainer("events")
	leases, _ := db.NewContainer("leases")
	o := fastOptions(&env{events: events, leases: leases}, "procs", func(_ context.Context, b changefeed.Batch) error {
		var buf strings.Builder
		now := strconv.FormatInt(time.Now().UnixNano(), 10)
		for _, d := range b.Documents {
			var e event
			_ = json.Unmarshal(d, &e)
			buf.WriteString(now + " " + e.ID + "\n")
		}
		_, err := out.WriteString(buf.String()) // one write per batch
		return err
	})
	o.Owner = os.Getenv("CHANGEFEED_CHILD_OWNER")
	o.LeaseExpirationInterval, o.LeaseRenewInterval, o.LeaseAcquireInterval = time.Second, 200*time.Millisecond, 200*time.Millisecond
	p, err := changefeed.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = p.Shutdown(context.Background())
	}()
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestProcessesShareTheFeedAndTakeOverAfterAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	e := newEnv(t, 6)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln, nil) }()
	t.Cleanup(func() { cancel(); <-served })

	dir := t.TempDir()
	children := map[string]*exec.Cmd{}
	for i := range 3 {
		owner := "child-" + strconv.Itoa(i)
		cmd := exec.Command(os.Args[0], "-test.run=^TestProcessChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CHANGEFEED_CHILD_ENDPOINT=http://"+ln.Addr().String()+"/",
			"CHANGEFEED_CHILD_OUT="+filepath.Join(dir, owner), "CHANGEFEED_CHILD_OWNER="+owner)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[owner] = cmd
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	f := feed(t, e, 8)
	waitFor(t, 15*time.Second, "the three processes to share the leases", func() bool {
		return balanced(owners(t, e.leases, "procs"), 6, 3)
	})
	waitFor(t, 10*time.Second, "deliveries", func() bool { return len(deliveries(t, dir)) > 500 })

	victim := children["child-0"]
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()
	waitFor(t, 15*time.Second, "the survivors to take over the dead process's leases", func() bool {
		o := owners(t, e.leases, "procs")
		return o["child-0"] == 0 && balanced(o, 6, 2)
	})
	mark := f.written.Load() // events written after the takeover, too
	waitFor(t, 5*time.Second, "more events", func() bool { return f.written.Load() > mark+20 })
	last := f.halt()

	rec := newRecorder()
	waitFor(t, 15*time.Second, "every event in the files", func() bool {
		rec = newRecorder()
		for _, d := range deliveries(t, dir) {
			rec.record(changefeed.Batch{LeaseToken: "file", Documents: []json.RawMessage{d}})
		}
		return rec.count() == 8*last
	})
	rec.check(t, 8, last, false)
	for _, owner := range []string{"child-1", "child-2"} {
		_ = children[owner].Process.Signal(syscall.SIGTERM)
		if err := children[owner].Wait(); err != nil {
			t.Fatalf("%s after SIGTERM: %v", owner, err)
		}
	}
	if o := owners(t, e.leases, "procs"); o[""] != 6 {
		t.Fatalf("after both survivors stopped gracefully the leases are held by %v", o)
	}
}

// deliveries merges the children's files in delivery-time order, as event
// documents.
func deliveries(t *testing.T, dir string) []json.RawMessage {
	t.Helper()
	type line struct {
		at int64
		id string
	}
	var all []line
	files, _ := filepath.Glob(filepath.Join(dir, "child-*"))
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			at, id, ok := strings.Cut(sc.Text(), " ")
			n, err := strconv.ParseInt(at, 10, 64)
			if ok && err == nil && strings.Contains(id, ":") {
				all = append(all, line{n, id})
			}
		}
		_ = f.Close()
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at < all[j].at })
	out := make([]json.RawMessage, len(all))
	for i, l := range all {
		stream, v, _ := strings.Cut(l.id, ":")
		out[i] = json.RawMessage(fmt.Sprintf(`{"id":%q,"streamId":%q,"version":%s}`, l.id, stream, v))
	}
	return out
}
