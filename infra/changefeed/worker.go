package changefeed

import (
	"context"
	"errors"
	"time"
)

// exit says why a worker ended, which decides what happens to its lease.
type exit int

const (
	exitStopped exit = iota // Shutdown: the lease is released afterwards
	exitLost                // another owner has it, or the processor stopped abruptly
	exitSplit               // handed on to the children of its range and deleted
)

// worker delivers one lease's range: read a page from the position, hand it
// to the handler, checkpoint, repeat. It never moves past a batch the
// handler did not accept: after an error it waits (doubling back-off) and
// reads the same position again.
type worker struct {
	p       *Processor
	h       *heldLease
	pos     string // where the next read starts; the checkpoint or beyond empty pages
	attempt int    // deliveries of the batch at pos so far
	backoff time.Duration
	idle    time.Duration // the wait after the last read that found nothing
	timer   *time.Timer
}

// run processes the lease until the lease is lost (ctx ends), Shutdown asks,
// or the range splits.
func (w *worker) run(ctx context.Context) exit {
	log := w.p.log.With("lease", w.h.rng.token())
	for {
		if w.stopRequested() {
			return exitStopped
		}
		if ctx.Err() != nil {
			return exitLost
		}
		readAt := w.p.now()
		pg, err := w.p.feed.read(ctx, w.h.rng, w.pos)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Warn("change feed read failed", "err", err)
				w.h.stats.failed()
				w.sleep(ctx, w.nextBackoff())
			}
		case pg.children != nil:
			if err := w.handOver(ctx, pg.children); err != nil {
				if errors.Is(err, errLeaseLost) {
					return exitLost
				}
				log.Warn("handing a split range to its children failed", "err", err)
				w.sleep(ctx, w.nextBackoff())
				continue
			}
			log.Info("range split; lease handed to its children", "children", len(pg.children))
			w.p.kickBalance()
			return exitSplit
		case len(pg.docs) == 0:
			w.h.stats.idle(readAt)
			w.pos = pg.next
			if w.h.snapshot().ContinuationToken == "" && pg.next != "" {
				// Fix where a new lease starts ("now", a time) with its
				// first position, so a later owner starts there too.
				if errors.Is(w.checkpoint(ctx, pg.next), errLeaseLost) {
					return exitLost
				}
			}
			w.idle = min(max(2*w.idle, w.p.o.FeedPollDelay), w.p.o.MaxFeedPollDelay)
			w.sleep(ctx, w.idle)
		default:
			w.idle = 0
			if errors.Is(w.deliver(ctx, pg), errLeaseLost) {
				return exitLost
			}
			if len(pg.docs) < w.p.o.MaxItemsPerInvocation && w.p.o.BatchDelay > 0 {
				w.sleep(ctx, w.p.o.BatchDelay) // let the next batch gather
			}
		}
	}
}

// deliver hands a page to the handler and checkpoints it on success. A
// checkpoint that fails for a passing reason is tried again (the batch is
// not delivered again for it); errLeaseLost says another owner has the lease.
func (w *worker) deliver(ctx context.Context, pg page) error {
	log := w.p.log.With("lease", w.h.rng.token())
	w.attempt++
	if err := w.p.o.Handler(ctx, Batch{LeaseToken: w.h.rng.token(), Documents: pg.docs, Attempt: w.attempt}); err != nil {
		if ctx.Err() == nil {
			log.Warn("batch not accepted; it will be delivered again", "documents", len(pg.docs), "attempt", w.attempt, "err", err)
			w.h.stats.failed()
			w.sleep(ctx, w.nextBackoff())
		}
		return nil
	}
	for {
		err := w.checkpoint(ctx, pg.next)
		switch {
		case err == nil:
			w.pos, w.attempt, w.backoff = pg.next, 0, 0
			w.h.stats.delivered(w.p.now(), pg.docs, pg.session)
			return nil
		case errors.Is(err, errLeaseLost):
			log.Info("lease lost at checkpoint", "err", err)
			return errLeaseLost
		case ctx.Err() != nil || w.stopRequested():
			return nil // not checkpointed: the next owner delivers the batch again
		}
		log.Warn("checkpoint failed; trying again", "err", err)
		w.h.stats.failed()
		w.sleep(ctx, w.nextBackoff())
	}
}

// checkpoint stores pos as the lease's continuation, if the lease is still ours.
func (w *worker) checkpoint(ctx context.Context, pos string) error {
	return w.h.update(ctx, w.p.leases, func(d *leaseDoc) error {
		if err := ownedBy(w.p.o.Owner)(d); err != nil {
			return err
		}
		d.ContinuationToken = nullString(pos)
		return nil
	})
}

// handOver replaces the lease of a split range by one lease per child, each
// starting at the parent's checkpoint, then deletes the parent, as the .NET
// processor does. It first rewrites the parent (If-Match) to be sure it
// still owns it and has its latest checkpoint; the children are created
// unowned, so the balancer shares them out like any free lease. Each
// partition key lives in one child, whose feed from the parent's checkpoint
// holds that key's changes in order, so nothing is lost or reordered; at
// worst a batch that was read but not checkpointed is delivered again.
func (w *worker) handOver(ctx context.Context, children []feedRange) error {
	h, store := w.h, w.p.leases
	h.mu.Lock()
	defer h.mu.Unlock()
	parent, err := store.update(ctx, h.doc, ownedBy(w.p.o.Owner))
	if err != nil {
		return err
	}
	h.doc = parent
	for _, c := range children {
		if _, err := store.create(ctx, store.newLease(c, string(parent.ContinuationToken), parent.Properties)); err != nil {
			return err
		}
	}
	if err := store.remove(ctx, parent); err != nil && !errors.Is(err, errPrecondition) {
		return err
	}
	return nil
}

// nextBackoff doubles the wait after each failure, within the options' bounds.
func (w *worker) nextBackoff() time.Duration {
	w.backoff = min(max(2*w.backoff, w.p.o.RetryBackoff), w.p.o.MaxRetryBackoff)
	return w.backoff
}

// sleep waits d, or less if ctx ends or Shutdown asks.
func (w *worker) sleep(ctx context.Context, d time.Duration) {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-w.timer.C:
	case <-ctx.Done():
	case <-w.p.stopping:
	}
}

// stopRequested says whether Shutdown has begun.
func (w *worker) stopRequested() bool {
	select {
	case <-w.p.stopping:
		return true
	default:
		return false
	}
}
