package rebuild_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"orderctx/functions/consumertest"
	"orderctx/functions/projector"
	"orderctx/functions/rebuild"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/deadletters"
	"orderctx/infra/pgviews/pgtest"
	"orderctx/infra/replay"
	"orderctx/infra/viewpointer"
	"orderctx/infra/viewstore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fast are options for tests: a short grace and quick polling.
func fast() rebuild.ViewsOptions {
	return rebuild.ViewsOptions{Grace: 300 * time.Millisecond, VerifyTimeout: 15 * time.Second, PollDelay: 5 * time.Millisecond, ClaimTTL: 5 * time.Second}
}

// startLive runs the live projector as the Functions host would: its own
// lease prefix, writing to the active views container through the pointer.
func startLive(t *testing.T, w *consumertest.World) *replay.Replay {
	t.Helper()
	views := viewstore.NewRouted(w.Conn, viewpointer.New(w.Conn), 20*time.Millisecond, nil)
	c, err := projector.NewConsumer(projector.Config{Views: views}, w.Registry, deadletters.New(w.Conn))
	if err != nil {
		t.Fatal(err)
	}
	r, err := replay.New(w.Conn, replay.Options{Container: cosmosdb.Events, Prefix: projector.Name + ".", PollDelay: 2 * time.Millisecond,
		Handle: func(ctx context.Context, docs []json.RawMessage) error { _, err := c.Handle(ctx, docs); return err }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(context.Background()) }()
	t.Cleanup(func() { _ = r.Shutdown(context.Background()); <-done })
	return r
}

// waitCaughtUp waits until r has processed every change made before now.
func waitCaughtUp(t *testing.T, r *replay.Replay) {
	t.Helper()
	since := time.Now()
	waitFor(t, "the live projector to catch up", func() bool {
		p := r.Progress()
		return p.CaughtUp() && p.CaughtUpAt.After(since)
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkFold fails unless every order's view in container is the fold of
// its stream.
func checkFold(t *testing.T, w *consumertest.World, container string, ids []string) {
	t.Helper()
	stored, err := viewstore.NewIn(w.Conn, container).Get(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if want := w.View(t, id); !reflect.DeepEqual(stored[id].View, want) {
			t.Fatalf("%s in %s:\n got %+v\nwant %+v", id, container, stored[id].View, want)
		}
	}
}

func active(t *testing.T, w *consumertest.World) string {
	t.Helper()
	name, err := viewpointer.New(w.Conn).ActiveViews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func mustGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func body(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
