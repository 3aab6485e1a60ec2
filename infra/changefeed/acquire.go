package changefeed

import (
	"context"
	"errors"
	"fmt"
)

// balance is one pass of the load balancer: list the leases, take back any
// lease still recorded with this owner (a restart under the same name), then
// take what leasesToTake selects.
func (p *Processor) balance(ctx context.Context) {
	all, err := p.leases.list(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("listing leases failed", "err", err)
		}
		return
	}
	p.mu.Lock()
	p.known = all
	p.mu.Unlock()
	now := p.now()
	for _, l := range all {
		switch {
		case string(l.Owner) == p.o.Owner && !l.expired(now, p.o.LeaseExpirationInterval):
			p.acquire(ctx, l)
		case string(l.Owner) != p.o.Owner:
			p.dropIfHeld(l)
		}
	}
	for _, l := range leasesToTake(all, p.o.Owner, now, p.o.LeaseExpirationInterval) {
		p.acquire(ctx, l)
	}
}

// dropIfHeld stops the worker of a lease this instance still runs although
// the listing shows it released or taken over (the worker would notice only
// at its next checkpoint or renewal), so the next pass can balance it.
func (p *Processor) dropIfHeld(l leaseDoc) {
	p.mu.Lock()
	h := p.held[l.ID]
	p.mu.Unlock()
	if h != nil {
		p.log.Info("lease lost", "lease", l.LeaseToken, "owner now", string(l.Owner))
		h.cancel(fmt.Errorf("%w: the lease now belongs to %q", errLeaseLost, l.Owner))
	}
}

// isHeld says whether this instance holds the lease.
func (p *Processor) isHeld(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held[id] != nil
}

// acquire takes lease l as listed and starts its worker. The write is
// conditioned on the listed ETag; when the lease changed meanwhile, it is
// taken only if its owner is still the one listed and, unless that owner is
// being deliberately relieved of it (a live lease: balancing), it is still
// expired.
func (p *Processor) acquire(ctx context.Context, l leaseDoc) {
	if p.isHeld(l.ID) {
		return
	}
	stealing := !l.expired(p.now(), p.o.LeaseExpirationInterval)
	d, err := p.leases.update(ctx, l, func(s *leaseDoc) error {
		if s.Owner != l.Owner {
			return fmt.Errorf("%w: taken by %q", errLeaseLost, s.Owner)
		}
		if !stealing && !s.expired(p.now(), p.o.LeaseExpirationInterval) {
			return fmt.Errorf("%w: renewed by %q", errLeaseLost, s.Owner)
		}
		s.Owner = nullString(p.o.Owner)
		return nil
	})
	if err != nil {
		if !errors.Is(err, errLeaseLost) && ctx.Err() == nil {
			p.log.Warn("acquiring lease failed", "lease", l.LeaseToken, "err", err)
		}
		return
	}
	p.log.Info("lease acquired", "lease", d.LeaseToken, "from", string(l.Owner), "continuation", string(d.ContinuationToken))
	p.start(ctx, d)
}

// start runs a worker for a lease just acquired.
func (p *Processor) start(ctx context.Context, d leaseDoc) {
	if p.o.Acquired != nil {
		p.o.Acquired(d.FeedRange.Range.token())
	}
	wctx, cancel := context.WithCancelCause(ctx)
	h := &heldLease{doc: d, rng: d.FeedRange.Range, cancel: cancel}
	p.mu.Lock()
	p.held[d.ID] = h
	p.mu.Unlock()
	p.workers.Add(1)
	go func() {
		defer p.workers.Done()
		defer cancel(nil)
		w := &worker{p: p, h: h, pos: string(d.ContinuationToken)}
		if w.run(wctx) != exitStopped {
			p.mu.Lock()
			if p.held[d.ID] == h {
				delete(p.held, d.ID)
			}
			p.mu.Unlock()
		}
	}()
}

// kickBalance asks for a balance pass now.
func (p *Processor) kickBalance() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}
