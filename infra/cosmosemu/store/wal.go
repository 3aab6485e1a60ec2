package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// metaBucket holds database, container and offer definitions and counters.
var metaBucket = []byte("meta")

// write is one key change in one bucket; a nil value deletes the key.
type write struct {
	bucket string
	key    []byte
	value  []byte
}

// commitRequest is one atomic unit (a single item write or a whole batch).
type commitRequest struct {
	writes []write
	fn     func(*bolt.Tx) error // optional extra work in the same transaction
	after  func()               // runs after the group is durable, before done is closed
	done   chan struct{}
}

// wal makes writes durable with group commit: every request waiting when the
// writer becomes free is committed in one bbolt transaction and one fsync.
// Requests are committed in the order they were queued, which the engine
// guarantees is LSN order per container, so a later version of an item never
// lands before an earlier one.
type wal struct {
	db      *bolt.DB
	queue   chan *commitRequest
	stopped chan struct{}
	once    sync.Once
	log     *slog.Logger

	commits  atomic.Int64 // transactions (each one fsync round)
	requests atomic.Int64 // requests committed
}

const walQueueDepth = 8192

func openWAL(dir string, log *slog.Logger) (*wal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "cosmos.db"), 0o600, &bolt.Options{
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		// Reserve address space up front so the file can grow without
		// remapping, which would stall every writer.
		InitialMmapSize: 1 << 30,
	})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(metaBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	w := &wal{db: db, queue: make(chan *commitRequest, walQueueDepth), stopped: make(chan struct{}), log: log}
	go w.run()
	return w, nil
}

// submit queues a request; the caller waits on req.done outside its locks.
func (w *wal) submit(req *commitRequest) {
	w.queue <- req
}

func (w *wal) run() {
	defer close(w.stopped)
	group := make([]*commitRequest, 0, 256)
	for first := range w.queue {
		group = append(group[:0], first)
		group = w.gather(group)
		if len(group) < minGroup {
			// Each commit costs two fsyncs whatever it carries; waiting a
			// moment for concurrent writers to join costs far less.
			time.Sleep(gatherWait)
			group = w.gather(group)
		}
		err := w.db.Update(func(tx *bolt.Tx) error {
			for _, r := range group {
				if err := applyWrites(tx, r.writes); err != nil {
					return err
				}
				if r.fn != nil {
					if err := r.fn(tx); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			// Memory already holds these writes; continuing would serve data
			// that a restart loses. Stopping is the only honest answer.
			w.log.Error("cosmos store: durable commit failed; stopping", "err", err)
			panic(fmt.Sprintf("cosmos store: durable commit failed: %v", err))
		}
		w.commits.Add(1)
		w.requests.Add(int64(len(group)))
		for _, r := range group {
			if r.after != nil {
				r.after()
			}
			close(r.done)
		}
	}
}

// Group commit tuning: a group smaller than minGroup waits gatherWait once.
const (
	minGroup   = 4
	gatherWait = 300 * time.Microsecond
)

// gather appends every request already queued, without blocking.
func (w *wal) gather(group []*commitRequest) []*commitRequest {
	for len(group) < cap(group) {
		select {
		case r, ok := <-w.queue:
			if !ok {
				return group
			}
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

func (w *wal) close() error {
	w.once.Do(func() { close(w.queue) })
	<-w.stopped
	return w.db.Close()
}

// dropBucket removes a container's items and metadata keys, ordered after
// every item write queued before it.
func (w *wal) dropBucket(name string, metaDeletes [][]byte) {
	w.sync(nil, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte(name)); err != nil && err != bolt.ErrBucketNotFound {
			return err
		}
		m := tx.Bucket(metaBucket)
		for _, k := range metaDeletes {
			if err := m.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// sync commits writes in queue order and waits until they are durable.
func (w *wal) sync(writes []write, fn func(*bolt.Tx) error) {
	req := &commitRequest{writes: writes, fn: fn, done: make(chan struct{})}
	w.submit(req)
	<-req.done
}

func applyWrites(tx *bolt.Tx, writes []write) error {
	for _, wr := range writes {
		b, err := tx.CreateBucketIfNotExists([]byte(wr.bucket))
		if err != nil {
			return err
		}
		if wr.value == nil {
			err = b.Delete(wr.key)
		} else {
			err = b.Put(wr.key, wr.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
