package store

import (
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestRequestsQueuedDuringASyncShareTheNextGroup holds the log writer in
// the sync of a first group while more requests than a group waits for
// queue behind it: they must wait for a sync of their own and share one
// group (one sync, one channel); a lone request after them waits for
// company in vain and is committed when the wait ends.
func TestRequestsQueuedDuringASyncShareTheNextGroup(t *testing.T) {
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	w, err := openWAL(t.TempDir(), slog.New(slog.DiscardHandler), walTuning{compactMin: -1,
		beforeSync: func() { once.Do(func() { close(held); <-release }) }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	req := func(i int) <-chan struct{} {
		return w.submit([]write{put("b", []byte("k"+strconv.Itoa(i)), []byte("v"))}, nil)
	}
	first := req(0)
	<-held
	const queued = minGroup + 2
	var dones []<-chan struct{}
	for i := 1; i <= queued; i++ {
		dones = append(dones, req(i))
	}
	for _, d := range dones[1:] {
		if d != dones[0] {
			t.Fatal("requests queued together wait on different channels")
		}
	}
	select {
	case <-dones[0]:
		t.Fatal("requests queued behind a group in its sync were acknowledged before a sync of their own")
	default:
	}
	close(release)
	awaitClosed(t, first)
	awaitClosed(t, dones[0])
	if got := w.commits.Load(); got != 2 {
		t.Fatalf("%d group commits, want 2: the held one and one for the %d requests queued behind it", got, queued)
	}
	awaitClosed(t, req(queued+1))
	if got := w.commits.Load(); got != 3 {
		t.Fatalf("%d group commits after the lone request, want 3", got)
	}
}

func awaitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("a logged request was not acknowledged within 10 s")
	}
}
