package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// compactingOptions seals segments at 8 KB and compacts once the log is
// past 32 KB and twice its live bytes.
func compactingOptions(dir string) store.Options {
	return store.WithLogTuning(store.Options{Dir: dir}, 8<<10, 32<<10)
}

// upsert writes item id of partition p with value v and 1 KB of padding.
func upsert(t *testing.T, c *store.Container, id string, v int) {
	t.Helper()
	body := fmt.Sprintf(`{"id":"%s","pk":"p","v":%d,"pad":"%s"}`, id, v, strings.Repeat("x", 1000))
	if res, ok := c.Execute(store.NewPartitionKey([]any{"p"}), []store.Op{{Kind: store.OpUpsert, Body: []byte(body)}}); !ok {
		t.Fatal(res[0].Err)
	}
}

// expectValues checks that every item of want holds its value and that no
// other item is there.
func expectValues(t *testing.T, c *store.Container, want map[string]int) {
	t.Helper()
	if n := count(t, c); n != len(want) {
		t.Fatalf("%d items, want %d", n, len(want))
	}
	for id, v := range want {
		doc, err := c.ReadItem(store.NewPartitionKey([]any{"p"}), id)
		if err != nil {
			t.Fatalf("item %s: %v", id, err)
		}
		if !strings.Contains(string(doc.Body), fmt.Sprintf(`"v":%d,`, v)) {
			t.Fatalf("item %s is %s, want its last version (v %d)", id, doc.Body, v)
		}
	}
}

// logFiles lists the log's files in dir by kind.
func logFiles(t *testing.T, dir string) (snapshots, segments, other []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case name == store.LockFile:
		case strings.HasPrefix(name, "snapshot-") && strings.HasSuffix(name, ".log"):
			snapshots = append(snapshots, name)
		case strings.HasPrefix(name, "wal-") && strings.HasSuffix(name, ".log"):
			segments = append(segments, name)
		default:
			other = append(other, name)
		}
	}
	return snapshots, segments, other
}

// A store whose items are overwritten again and again keeps a log of about
// twice its live data, not everything ever written, and reads back the
// latest versions. (Crashes amid compactions are the crash loop's part:
// copying files aside here would race the compactor's deletions.)
func TestCompactionKeepsTheLogNearTheLiveData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eng, c := openContainerWith(t, compactingOptions(dir))
	want := map[string]int{}
	const writes = 600 // ~700 KB of records over 20 items
	for i := 0; i < writes; i++ {
		id := fmt.Sprint(i % 20)
		upsert(t, c, id, i)
		want[id] = i
	}
	st := eng.Stats()
	if st.Compactions == 0 {
		t.Fatalf("no compaction after %d overwrites: %+v", writes, st)
	}
	// The live data is ~24 KB; compaction starts past 48 KB (twice that)
	// and segments go on beside it, so the log stays well below 256 KB.
	_, segs, _ := logFiles(t, dir)
	if st.LogBytes > 256<<10 || len(segs) > 256/8+1 {
		t.Fatalf("the log holds %d bytes in %d segments after %d compactions: it is not kept near the live data (%+v)", st.LogBytes, len(segs), st.Compactions, st)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng2, c2 := openContainerWith(t, compactingOptions(dir))
	defer eng2.Close()
	expectValues(t, c2, want)
	if snaps, _, _ := logFiles(t, dir); len(snaps) != 1 {
		t.Fatalf("after recovery the directory holds snapshots %v, want one", snaps)
	}
}

// An append-only store (an event store) is never rewritten: each item is
// written to the log once.
func TestAnAppendOnlyLogIsNotCompacted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eng, c := openContainerWith(t, store.WithLogTuning(store.Options{Dir: dir}, 4<<10, 8<<10))
	defer eng.Close()
	for i := 0; i < 300; i++ {
		create(t, c, fmt.Sprint(i))
	}
	st := eng.Stats()
	if st.Compactions != 0 {
		t.Fatalf("%d compactions of a log that only grew: %+v", st.Compactions, st)
	}
	if st.LogBytes < st.LiveBytes || st.LogBytes > 2*st.LiveBytes {
		t.Fatalf("log %d bytes for %d live ones: the estimate is off", st.LogBytes, st.LiveBytes)
	}
}

// A crash during a compaction leaves a partial snapshot under a temporary
// name, or a snapshot beside the segments it covers: recovery uses the
// complete snapshot, ignores the rest and deletes it.
func TestRecoveryAfterACompactionCutShort(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eng, c := openContainerWith(t, compactingOptions(dir))
	want := map[string]int{}
	i := 0
	for ; i < 20; i++ { // ~24 KB: no compaction yet
		upsert(t, c, fmt.Sprint(i%20), i)
		want[fmt.Sprint(i%20)] = i
	}
	early := crash(t, dir)
	for ; eng.Stats().Compactions < 2; i++ {
		if i > 100000 {
			t.Fatalf("no compaction: %+v", eng.Stats())
		}
		upsert(t, c, fmt.Sprint(i%20), i)
		want[fmt.Sprint(i%20)] = i
	}
	if err := eng.Close(); err != nil { // waits for a compaction under way
		t.Fatal(err)
	}
	late := dir
	_, earlySegs, _ := logFiles(t, early)
	var restored []string
	for _, name := range earlySegs {
		if _, err := os.Stat(filepath.Join(late, name)); os.IsNotExist(err) {
			b, _ := os.ReadFile(filepath.Join(early, name))
			if err := os.WriteFile(filepath.Join(late, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
			restored = append(restored, name)
		}
	}
	if len(restored) == 0 {
		t.Fatal("the compactions deleted none of the early segments")
	}
	if err := os.WriteFile(filepath.Join(late, "snapshot-00000000000fffff.log.tmp"), []byte("half a snapsh"), 0o600); err != nil {
		t.Fatal(err)
	}
	eng2, c2 := openContainerWith(t, compactingOptions(late))
	defer eng2.Close()
	expectValues(t, c2, want)
	snaps, segs, other := logFiles(t, late)
	if len(snaps) != 1 || len(other) != 0 {
		t.Fatalf("after recovery: snapshots %v, other files %v; want one snapshot and nothing else", snaps, other)
	}
	for _, name := range restored {
		for _, s := range segs {
			if s == name {
				t.Fatalf("segment %s, covered by the snapshot, is still there", name)
			}
		}
	}
}

// A data directory of the earlier format (a bbolt file current to a
// checkpoint, log segments after it) is read once and converted.
func TestAStoreOfTheEarlierFormatIsConverted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	createAndClose(t, dir, 10)
	// Records 1 and 2 create the database and the container, 3 to 12 the
	// items: the bbolt file has the first five items, the log the rest.
	if err := store.ToLegacyFormat(dir, 7); err != nil {
		t.Fatal(err)
	}
	eng2, c2 := openContainer(t, dir)
	if n := count(t, c2); n != 10 {
		t.Fatalf("after the conversion: %d items, want 10", n)
	}
	create(t, c2, "after")
	if err := eng2.Close(); err != nil {
		t.Fatal(err)
	}
	snaps, _, other := logFiles(t, dir)
	if len(snaps) != 1 || len(other) != 0 {
		t.Fatalf("after the conversion: snapshots %v, other files %v; want one snapshot and no bbolt file", snaps, other)
	}
	eng3, c3 := openContainer(t, dir)
	defer eng3.Close()
	if n := count(t, c3); n != 11 {
		t.Fatalf("after a restart on the converted store: %d items, want 11", n)
	}
}

// A second engine on the same directory waits for the first to close: two
// writers would interleave their appends.
func TestASecondEngineWaitsForTheDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eng, _ := openContainer(t, dir)
	opened := make(chan *store.Engine)
	go func() {
		eng2, err := store.Open(store.Options{Dir: dir})
		if err != nil {
			t.Error(err)
		}
		opened <- eng2
	}()
	select {
	case eng2 := <-opened:
		eng2.Close()
		t.Fatal("a second engine opened a directory in use")
	case <-time.After(200 * time.Millisecond):
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case eng2 := <-opened:
		if eng2 != nil {
			eng2.Close()
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second engine did not open once the first closed")
	}
}
