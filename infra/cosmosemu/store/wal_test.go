package store_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/store"
)

// openContainer opens dir without compactions, so crash() copies the files
// of one log that belong together.
func openContainer(t *testing.T, dir string) (*store.Engine, *store.Container) {
	t.Helper()
	return openContainerWith(t, store.WithLogTuning(store.Options{Dir: dir}, 0, -1))
}

func openContainerWith(t *testing.T, opts store.Options) (*store.Engine, *store.Container) {
	t.Helper()
	eng, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	db, err := eng.Database("db")
	if err != nil {
		if db, err = eng.CreateDatabase("db", nil); err != nil {
			t.Fatal(err)
		}
	}
	c, err := db.Container("c")
	if err != nil {
		if c, err = db.CreateContainer([]byte(`{"id":"c","partitionKey":{"paths":["/pk"]}}`), 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	return eng, c
}

func create(t *testing.T, c *store.Container, id string) {
	t.Helper()
	res, ok := c.Execute(store.NewPartitionKey([]any{"p"}), []store.Op{{Kind: store.OpCreate, Body: []byte(`{"id":"` + id + `","pk":"p"}`)}})
	if !ok {
		t.Fatalf("create %s: %v", id, res[0].Err)
	}
}

// createAndClose creates items 0 to n-1 in a store on dir and closes it.
func createAndClose(t *testing.T, dir string, n int) {
	t.Helper()
	eng, c := openContainer(t, dir)
	for i := 0; i < n; i++ {
		create(t, c, fmt.Sprint(i))
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, c *store.Container) int {
	t.Helper()
	docs, err := c.PartitionDocs(store.NewPartitionKey([]any{"p"}))
	if err != nil {
		t.Fatal(err)
	}
	return len(docs)
}

// crash simulates kill -9: the engine's files are copied aside while it
// still runs, exactly as a crash would leave them (the preallocated space
// of its segment included).
func crash(t *testing.T, dir string) string {
	t.Helper()
	crashed := t.TempDir()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return crashed
}

func TestLogReplayAfterCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eng, c := openContainer(t, dir)
	for i := 0; i < 50; i++ {
		create(t, c, fmt.Sprint(i))
	}
	crashed := crash(t, dir)
	eng.Close()
	eng2, c2 := openContainer(t, crashed)
	defer eng2.Close()
	if n := count(t, c2); n != 50 {
		t.Fatalf("after replay: %d items, want 50", n)
	}
	create(t, c2, "after")
	if count(t, c2) != 51 {
		t.Fatal("writes after replay failed")
	}
}

func TestTornLogTailIsDropped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eng, c := openContainer(t, dir)
	for i := 0; i < 10; i++ {
		create(t, c, fmt.Sprint(i))
	}
	crashed := crash(t, dir)
	eng.Close()
	// Cut the last record in half, as a crash during the append would.
	entries, _ := os.ReadDir(crashed)
	var seg string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "wal-") {
			seg = filepath.Join(crashed, e.Name())
		}
	}
	// The segment is preallocated with zeros: a torn append leaves the
	// record's last bytes as they were, zero.
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(b, "\x00"))
	if end < 20 {
		t.Fatalf("segment holds %d bytes of records", end)
	}
	clear(b[end-20 : end])
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	eng2, c2 := openContainer(t, crashed)
	defer eng2.Close()
	if n := count(t, c2); n != 9 {
		t.Fatalf("after a torn tail: %d items, want the 9 whole ones", n)
	}
}

// A clean close leaves the segment holding its records only (not the space
// zero-filled ahead of them), and everything reads back.
func TestCleanCloseLeavesOnlyRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	createAndClose(t, dir, 20)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "wal-") {
			// 20 records take a few KB; space is zero-filled by MBs.
			if info, _ := e.Info(); info.Size() == 0 || info.Size() > 64<<10 {
				t.Fatalf("log segment %s holds %d bytes after a clean close: not its records alone", e.Name(), info.Size())
			}
		}
	}
	eng2, c2 := openContainer(t, dir)
	defer eng2.Close()
	if n := count(t, c2); n != 20 {
		t.Fatalf("after reopen: %d items", n)
	}
}

// Sealed segments end in preallocated zeros; recovery must read every one
// of them to its last record and replay all of them in order.
func TestRecoveryAcrossSealedPreallocatedSegments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := func(dir string) store.Options {
		return store.WithLogTuning(store.Options{Dir: dir}, 4<<10, -1)
	}
	eng, c := openContainerWith(t, opts(dir))
	pk := store.NewPartitionKey([]any{"p"})
	const n = 300
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"id":"%d","pk":"p","v":%d}`, i%100, i)
		if res, ok := c.Execute(pk, []store.Op{{Kind: store.OpUpsert, Body: []byte(body)}}); !ok {
			t.Fatal(res[0].Err)
		}
	}
	crashed := crash(t, dir)
	eng.Close()
	segs := 0
	entries, _ := os.ReadDir(crashed)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "wal-") {
			segs++
		}
	}
	if segs < 3 {
		t.Fatalf("want several sealed segments to recover from, have %d", segs)
	}
	eng2, c2 := openContainerWith(t, opts(crashed))
	defer eng2.Close()
	if n := count(t, c2); n != 100 {
		t.Fatalf("after recovery: %d items, want 100", n)
	}
	for i := 200; i < n; i++ {
		doc, err := c2.ReadItem(pk, fmt.Sprint(i%100))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`"v":%d`, i); !strings.Contains(string(doc.Body), want) {
			t.Fatalf("item %d after recovery is %s, want its last version (%s)", i%100, doc.Body, want)
		}
	}
}

// Damage inside the log that is not a torn tail must stop the store from
// opening rather than replay around the hole and lose acknowledged writes.
func TestDamagedSealedSegmentsAreRefused(t *testing.T) {
	t.Parallel()
	opts := func(dir string) store.Options {
		return store.WithLogTuning(store.Options{Dir: dir}, 2<<10, -1)
	}
	dir := t.TempDir()
	eng, c := openContainerWith(t, opts(dir))
	for i := 0; i < 100; i++ {
		create(t, c, fmt.Sprint(i))
	}
	crashed := crash(t, dir)
	eng.Close()
	var segs []string
	entries, _ := os.ReadDir(crashed)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "wal-") {
			segs = append(segs, filepath.Join(crashed, e.Name()))
		}
	}
	if len(segs) < 4 {
		t.Fatalf("want several segments, have %d", len(segs))
	}
	damage := map[string]func(t *testing.T, dir string){
		"a sealed segment that lost its last records": func(t *testing.T, dir string) {
			seg := filepath.Join(dir, filepath.Base(segs[1]))
			b, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			firstRecord := 8 + int(binary.BigEndian.Uint32(b[:4]))
			clear(b[firstRecord:]) // zeros read as the end of the segment
			if err := os.WriteFile(seg, b, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"a missing segment": func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, filepath.Base(segs[2]))); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, damageLog := range damage {
		t.Run(name, func(t *testing.T) {
			copied := crash(t, crashed)
			damageLog(t, copied)
			eng, err := store.Open(opts(copied))
			if err == nil {
				eng.Close()
				t.Fatal("the store opened over a damaged log")
			}
			if !strings.Contains(err.Error(), "write-ahead log") {
				t.Fatalf("the error does not say what is damaged: %v", err)
			}
		})
	}
}

// What a restart reads back from an item's body: an id with escapes, a
// nested partition key, the system properties and an item's own ttl.
func TestItemsReadBackWithTheirProperties(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := store.WithLogTuning(store.Options{Dir: dir}, 0, -1)
	eng, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := eng.CreateDatabase("db", nil)
	c, err := db.CreateContainer([]byte(`{"id":"c","partitionKey":{"paths":["/a/b"]},"defaultTtl":-1}`), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	pk := store.NewPartitionKey([]any{"k\u00e9"})
	id := "q\"uo\\te \u00e9"
	body := []byte(`{"id":"q\"uo\\te \u00e9","a":{"b":"k\u00e9"},"ttl":3600}`)
	res, ok := c.Execute(pk, []store.Op{{Kind: store.OpCreate, Body: body}})
	if !ok {
		t.Fatal(res[0].Err)
	}
	before, err := c.ReadItem(pk, id)
	if err != nil {
		t.Fatal(err)
	}
	crashed := crash(t, dir)
	eng.Close()
	eng2, err := store.Open(store.WithLogTuning(store.Options{Dir: crashed}, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	db2, _ := eng2.Database("db")
	c2, err := db2.Container("c")
	if err != nil {
		t.Fatal(err)
	}
	after, err := c2.ReadItem(pk, id)
	if err != nil {
		t.Fatalf("the item is not found by its id and nested partition key after a restart: %v", err)
	}
	if after.ETag != before.ETag || after.LSN != before.LSN || after.TS != before.TS || after.Seq != before.Seq ||
		after.Expires != before.Expires || after.Expires == 0 || !bytes.Equal(after.Body, before.Body) {
		t.Fatalf("after a restart the item is %+v, want %+v", after, before)
	}
}
