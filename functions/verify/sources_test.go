package verify_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"orderctx/domain/order"
	"orderctx/functions/consumers"
	"orderctx/functions/consumertest"
	"orderctx/functions/verify"
	"orderctx/functions/verify/check"
	"orderctx/functions/verify/verifytest"
	"orderctx/infra/bus/natsbus"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/pgviews/pgtest"
)

// TestAcksFile: the acknowledgements of every command of a consistent store
// pass (and are counted in the summary); an acknowledgement of a command the
// store never took fails with ack.missing; an unterminated last line (its
// writer died) is skipped; a malformed line cannot be checked (exit 2).
func TestAcksFile(t *testing.T) {
	t.Parallel()
	dir, acks := durableStoreWithAcks(t)
	file := filepath.Join(t.TempDir(), "acks.jsonl")
	write := func(lines ...string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(strings.Join(lines, "")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(append(acks, `{"orderId":"half`)...)
	out, err := run(t, "-data", dir, "-acks", file, "-skip-bus")
	if exitStatus(err) != 0 || !strings.Contains(out, "acknowledged commands") {
		t.Fatalf("every ack of a clean store: err %v, output:\n%s", err, out)
	}

	write(append(acks, `{"orderId":"ghost","commandId":"c-ghost","version":1,"eventIds":["00000000-0000-4000-8000-000000000009"]}`+"\n")...)
	out, err = run(t, "-data", dir, "-acks", file, "-skip-bus")
	if exitStatus(err) != verify.ExitDifferences || !strings.Contains(out, "ack.missing") || !strings.Contains(out, order.StreamID("ghost")) {
		t.Fatalf("an ack the store does not hold: err %v, output:\n%s", err, out)
	}

	write(acks[0], "not json\n")
	if _, err = run(t, "-data", dir, "-acks", file, "-skip-bus"); exitStatus(err) != verify.ExitTrouble || !strings.Contains(err.Error(), "acks.jsonl:2") {
		t.Fatalf("a malformed line: err %v, want exit 2 naming the line", err)
	}
}

// durableStoreWithAcks is durableStore with an acks file's lines: one per
// command of the store, as the command API would have answered it.
func durableStoreWithAcks(t *testing.T) (string, []string) {
	t.Helper()
	dir, _ := durableStore(t)
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	acks := verifytest.Acks(t, consumertest.OpenOn(t, conn).Feed(t))
	lines := make([]string, len(acks))
	for i, a := range acks {
		b, _ := json.Marshal(a)
		lines[i] = string(b) + "\n"
	}
	return dir, lines
}

// TestPostgresCopy: with -postgres-dsn the copy's rows are compared with the
// fold as the views container's documents are: a copy the pgcopy consumer
// filled passes; a row edited is view.differs and a row deleted
// view.missing, both of the source "postgres".
func TestPostgresCopy(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := verifytest.Build(t, conn, natsbus.Config{DataDir: filepath.Join(dir, "nats")}, 5, 20, 150)
	s.Set, err = consumers.Build(consumers.Config{Conn: conn, Bus: s.Bus, PostgresDSN: dsn, SnapshotEvery: verifytest.SnapshotEvery})
	if err != nil {
		t.Fatal(err)
	}
	s.Consume(t) // the copy from the events; the other consumers have seen them all
	_ = s.Set.Close()
	if err := s.Bus.Close(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "-data", dir, "-postgres-dsn", dsn)
	if exitStatus(err) != 0 || !strings.Contains(out, "views (postgres)") || strings.Contains(out, " 0 views (postgres)") {
		t.Fatalf("a consistent copy: err %v, output:\n%s", err, out)
	}

	db, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	edited, deleted := s.Orders[0], s.Orders[1]
	if _, err := db.Exec(context.Background(), "UPDATE orders SET total = total + 1 WHERE order_id = $1", edited); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(context.Background(), "DELETE FROM orders WHERE order_id = $1", deleted); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "-data", dir, "-postgres-dsn", dsn, "-json")
	var report struct{ Differences []check.Difference }
	if exitStatus(err) != verify.ExitDifferences || json.Unmarshal([]byte(out), &report) != nil || len(report.Differences) != 2 {
		t.Fatalf("an edited and a deleted row: err %v, output:\n%s", err, out)
	}
	want := map[check.Kind]string{check.ViewDiffers: order.StreamID(edited), check.ViewMissing: order.StreamID(deleted)}
	for _, d := range report.Differences {
		if want[d.Kind] != d.Stream || d.Source != verify.PostgresSource {
			t.Errorf("difference %+v, want %v of source %s", d, want, verify.PostgresSource)
		}
	}
}
