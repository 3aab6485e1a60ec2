package rebuild_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"orderctx/functions/consumertest"
	"orderctx/functions/rebuild"
	"orderctx/infra/pgviews"
	"orderctx/infra/pgviews/pgtest"
)

// TestPostgresCopyMatchesTheViews: after a mixed workload projected by the
// live projector, the backfill fills the PostgreSQL copy from the events,
// verifies it against the views (row for row: every order, every item),
// and a second run changes nothing and agrees again.
func TestPostgresCopyMatchesTheViews(t *testing.T) {
	t.Parallel()
	w := consumertest.Open(t, 3)
	ids := w.Workload(t, 7, "p", 40, 500)
	live := startLive(t, w)
	waitCaughtUp(t, live)
	store, err := pgviews.Open(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	var lines strings.Builder
	opts := rebuild.PostgresOptions{Verify: true, VerifyTimeout: 15 * time.Second, PollDelay: 5 * time.Millisecond}
	rep, err := rebuild.NewPostgres(w.Conn, w.Registry, store, opts, &lines, nil).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orders != int64(len(ids)) || rep.Differences == nil || !rep.Differences.OK() || rep.Differences.Same != len(ids) || rep.Events == 0 {
		t.Fatalf("report %+v (%+v)", rep, rep.Differences)
	}
	rows, err := store.All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if want := w.View(t, row.ID); !reflect.DeepEqual(row, want) {
			t.Fatalf("order %s:\n rows %+v\n fold %+v", row.ID, row, want)
		}
	}
	var items int
	for _, id := range ids {
		items += len(w.View(t, id).Items)
	}
	if rep.Items != int64(items) {
		t.Fatalf("%d item rows, want %d", rep.Items, items)
	}
	if !strings.Contains(lines.String(), "filling postgres") || !strings.Contains(lines.String(), "100.0%") {
		t.Fatalf("progress lines:\n%s", lines.String())
	}
	again, err := rebuild.NewPostgres(w.Conn, w.Registry, store, opts, nil, nil).Run(context.Background())
	if err != nil || again.Resumed || again.Orders != rep.Orders || !again.Differences.OK() {
		t.Fatalf("a second run: %+v, %v", again, err)
	}
}
