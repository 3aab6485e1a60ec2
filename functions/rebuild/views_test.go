package rebuild_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/functions/consumertest"
	"orderctx/functions/rebuild"
	"orderctx/infra/claim"
	"orderctx/infra/cosmosdb"
	"orderctx/queryapi"
)

// startQuery runs a query API on the world's store, as `orderctx queryapi`.
func startQuery(t *testing.T, w *consumertest.World) (*queryapi.API, string) {
	t.Helper()
	api, err := queryapi.NewOnConn(w.Conn, nil, slog.New(slog.DiscardHandler),
		queryapi.Options{PollInterval: time.Millisecond, ActivePollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); api.Follow(ctx) }()
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	waitFor(t, "the query API to load", func() bool {
		select {
		case <-api.Ready():
			return true
		default:
			return false
		}
	})
	return api, srv.URL
}

// TestRebuildWhileTheSystemRuns: orders keep coming through the write side
// and the live projector while the views are rebuilt into views-2 and the
// query API keeps answering; the rebuilt views were verified identical to
// the live ones, everything (projector, query API) moves to views-2, and
// every view there is the fold of its stream, including orders changed
// after the switch.
func TestRebuildWhileTheSystemRuns(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 3)
	ids := w.Workload(t, 1, "a", 30, 300)
	live := startLive(t, w)
	waitCaughtUp(t, live)
	_, url := startQuery(t, w)

	stopReads := make(chan struct{})
	var reads atomic.Int64
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stopReads:
				return
			default:
			}
			if r := mustGet(t, url+"/orders?limit=200"); r != 200 {
				t.Errorf("a listing answered %d during the rebuild", r)
				return
			}
			reads.Add(1)
		}
	}()

	type result struct {
		rep rebuild.ViewsReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := rebuild.NewViews(w.Conn, w.Registry, fast(), nil, nil).Run(context.Background())
		done <- result{rep, err}
	}()
	var res result
	for round := 0; ; round++ {
		ids = union(ids, w.Workload(t, uint64(10+round), fmt.Sprintf("m%d", round%3), 10, 40))
		select {
		case res = <-done:
		case <-time.After(5 * time.Millisecond):
			if round < 400 {
				continue
			}
			res = <-done
		}
		break
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	if rep := res.rep; rep.From != cosmosdb.Views || rep.Target != "views-2" || !rep.Differences.OK() || rep.Differences.Same == 0 || rep.Events == 0 {
		t.Fatalf("report %+v", rep)
	}
	if got := active(t, w); got != "views-2" {
		t.Fatalf("active container %s", got)
	}
	ids = union(ids, w.Workload(t, 99, "m0", 10, 60)) // after the switch
	waitCaughtUp(t, live)
	checkFold(t, w, "views-2", ids)
	waitFor(t, "the query API to serve views-2", func() bool {
		return strings.Contains(body(t, url+"/readyz"), `"viewsContainer":"views-2"`)
	})
	for _, id := range ids {
		v := w.View(t, id)
		if b := body(t, fmt.Sprintf("%s/orders/%s?minVersion=%d&wait=10s", url, id, v.Version)); !strings.Contains(b, fmt.Sprintf(`"version":%d`, v.Version)) {
			t.Fatalf("the query API serves %s as %s; want version %d", id, b, v.Version)
		}
	}
	close(stopReads)
	readers.Wait()
	if reads.Load() == 0 {
		t.Fatal("no read ran during the rebuild")
	}
	if exists, _ := w.Conn.ContainerExists(context.Background(), cosmosdb.Views); !exists {
		t.Fatal("the old container was dropped without -drop-old")
	}
}

// TestInterruptedRebuildResumes: a rebuild cancelled half way through the
// events releases its claim with its state; the next run, by another
// owner, resumes in the same container where the reader stopped (it does
// not replay everything again), completes with every view right, and drops
// the old container as asked.
func TestInterruptedRebuildResumes(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 3)
	ids := w.Workload(t, 2, "r", 60, 900)
	total := int64(len(w.Feed(t)))
	live := startLive(t, w)
	waitCaughtUp(t, live)

	ctx, cancel := context.WithCancel(context.Background())
	first := fast()
	first.Progress = func(p rebuild.Progress) {
		if p.Processed >= total/3 {
			cancel()
		}
	}
	if _, err := rebuild.NewViews(w.Conn, w.Registry, first, nil, nil).Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted run: %v", err)
	}
	c, err := claim.New(w.Conn).Read(context.Background(), rebuild.ViewsClaim)
	if err != nil || c == nil || c.Owner != "" || !strings.Contains(string(c.State), `"target":"views-2"`) {
		t.Fatalf("claim after the interruption: %+v, %v; want released with its state", c, err)
	}
	if got := active(t, w); got != cosmosdb.Views {
		t.Fatalf("switched to %s before finishing", got)
	}
	second := fast()
	second.DropOld = true
	rep, err := rebuild.NewViews(w.Conn, w.Registry, second, nil, nil).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if exists, err := w.Conn.ContainerExists(context.Background(), cosmosdb.Views); exists || err != nil || !rep.Dropped {
		t.Fatalf("with DropOld the old container exists: %v (%v)", exists, err)
	}
	if !rep.Resumed || rep.Target != "views-2" || rep.Events >= total || !rep.Differences.OK() {
		t.Fatalf("the second run %+v; want it resumed into views-2 with fewer than all %d events", rep, total)
	}
	checkFold(t, w, "views-2", ids)
	if c, _ := claim.New(w.Conn).Read(context.Background(), rebuild.ViewsClaim); c != nil {
		t.Fatalf("the claim is left: %+v", c)
	}
}

// TestASecondRebuildIsRefused: while one rebuild holds the claim another
// is refused and changes nothing; the first then completes.
func TestASecondRebuildIsRefused(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 2)
	w.Workload(t, 3, "x", 10, 80)
	live := startLive(t, w)
	waitCaughtUp(t, live)
	paused, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	first := fast()
	first.Progress = func(rebuild.Progress) { once.Do(func() { close(paused); <-resume }) }
	done := make(chan error, 1)
	go func() {
		_, err := rebuild.NewViews(w.Conn, w.Registry, first, nil, nil).Run(context.Background())
		done <- err
	}()
	<-paused
	second := fast()
	second.Container = "views-9"
	_, err := rebuild.NewViews(w.Conn, w.Registry, second, nil, nil).Run(context.Background())
	if !errors.Is(err, rebuild.ErrRunning) {
		close(resume)
		t.Fatalf("the second rebuild: %v, want ErrRunning", err)
	}
	if exists, _ := w.Conn.ContainerExists(context.Background(), "views-9"); exists {
		t.Fatal("the refused rebuild created its container")
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := active(t, w); got != "views-2" {
		t.Fatalf("active %s", got)
	}
}

// TestDifferentViewsAreNotSwitchedTo: when a live view differs from the
// fold at the same version, the rebuild reports it and does not switch.
func TestDifferentViewsAreNotSwitchedTo(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 2)
	ids := w.Workload(t, 4, "d", 10, 80)
	live := startLive(t, w)
	waitCaughtUp(t, live)
	if err := live.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	tampered := w.View(t, ids[0])
	tampered.BuyerID = "someone-else"
	doc := fmt.Appendf(nil, `{"id":%q,"orderId":%q,"status":%q,"buyerId":"someone-else","currency":%q,"items":[],"total":0,"placedAt":"2026-04-01T08:00:00Z","updatedAt":"2026-04-01T08:00:00Z","version":%d}`,
		tampered.ID, tampered.ID, tampered.Status, tampered.Currency, tampered.Version)
	if err := w.Conn.UpsertItem(context.Background(), cosmosdb.Views, tampered.ID, doc); err != nil {
		t.Fatal(err)
	}
	opts := fast()
	opts.VerifyTimeout = time.Second
	rep, err := rebuild.NewViews(w.Conn, w.Registry, opts, nil, nil).Run(context.Background())
	if !errors.Is(err, rebuild.ErrDifferent) || !slices.Equal(rep.Differences.Differ, []string{ids[0]}) {
		t.Fatalf("rebuild over a tampered view: %v, %+v", err, rep.Differences)
	}
	if got := active(t, w); got != cosmosdb.Views {
		t.Fatalf("switched to %s", got)
	}
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append(slices.Clone(a), b...) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
