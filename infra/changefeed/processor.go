package changefeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Processor reads a container's change feed with leases, as the change feed
// processor behind the Azure Functions Cosmos DB trigger does: one lease per
// feed range in the lease container, shared out among the instances that use
// the same prefix, each range delivered in order to the handler and
// checkpointed only after the handler accepted a batch.
type Processor struct {
	o      Options
	log    *slog.Logger
	now    func() time.Time
	feed   *feedReader
	leases *leaseStore

	mu      sync.Mutex
	started bool
	cancel  context.CancelCauseFunc
	held    map[string]*heldLease // by lease id
	known   []leaseDoc            // the leases as last listed

	kick     chan struct{} // asks for a balance pass now (children of a split wait)
	stopping chan struct{} // closed by Shutdown
	stopOnce sync.Once
	done     chan struct{} // closed when Run returns
	workers  sync.WaitGroup
}

// heldLease is a lease this instance holds, and its worker's figures.
type heldLease struct {
	mu     sync.Mutex // one write of the document at a time (worker, renewer)
	doc    leaseDoc   // as last written or read, with its ETag
	rng    feedRange
	stats  leaseCounters
	cancel context.CancelCauseFunc // stops the worker (lease lost)
}

// update changes the lease document under the lease's lock.
func (h *heldLease) update(ctx context.Context, s *leaseStore, change func(*leaseDoc) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := s.update(ctx, h.doc, change)
	if err == nil {
		h.doc = d
	}
	return err
}

// snapshot returns the lease document as last written.
func (h *heldLease) snapshot() leaseDoc {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.doc
}

// New checks the options and returns a processor; Run starts it.
func New(o Options) (*Processor, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, fmt.Errorf("changefeed: %w", err)
	}
	return &Processor{o: o, log: o.Log.With("owner", o.Owner, "prefix", o.Prefix), now: time.Now,
		held: map[string]*heldLease{}, kick: make(chan struct{}, 1),
		stopping: make(chan struct{}), done: make(chan struct{})}, nil
}

// Owner is the name this instance writes into the leases it holds.
func (p *Processor) Owner() string { return p.o.Owner }

// Run processes the feed until Shutdown (then it returns nil) or until ctx
// ends. Ending ctx is an abrupt stop, like a killed process: batches in
// flight see their context cancelled and nothing more is written, so the
// leases stay with this owner until they expire. Run may be called once.
func (p *Processor) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return errors.New("changefeed: Run was called twice")
	}
	p.started, p.cancel = true, cancel
	p.mu.Unlock()
	defer close(p.done)
	if err := p.openRetrying(ctx); err != nil {
		return err
	}
	select {
	case <-p.stopping: // Shutdown during the start: nothing is held yet
		return nil
	default:
	}
	p.log.Info("change feed processor started", "container", p.o.Monitored.ID(), "leases", p.o.Leases.ID())
	renew := time.NewTicker(p.o.LeaseRenewInterval)
	defer renew.Stop()
	balance := time.NewTimer(0)
	defer balance.Stop()
	for {
		select {
		case <-ctx.Done():
			p.workers.Wait()
			return context.Cause(ctx)
		case <-p.stopping:
			return p.drain(ctx, renew.C)
		case <-renew.C:
			p.renewAll(ctx)
		case <-balance.C:
			p.balance(ctx)
			balance.Reset(p.o.LeaseAcquireInterval)
		case <-p.kick:
			p.balance(ctx)
		}
	}
}

// Shutdown stops gracefully: the workers finish the batch in hand (and
// checkpoint it), then every held lease is released (Owner cleared) so other
// instances take them at once. If ctx ends first, the rest is abandoned as
// by an abrupt stop. Shutdown returns when Run has returned.
func (p *Processor) Shutdown(ctx context.Context) error {
	p.stopOnce.Do(func() { close(p.stopping) })
	p.mu.Lock()
	started, cancel := p.started, p.cancel
	p.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		cancel(fmt.Errorf("changefeed: shutdown gave up: %w", context.Cause(ctx)))
		<-p.done
		return ctx.Err()
	}
}

// openRetrying opens, retrying with back-off while the store answers with
// errors that may pass (throttling, unavailability, timeouts, network);
// a missing container, bad credentials or a bad request end Run.
func (p *Processor) openRetrying(ctx context.Context) error {
	wait := time.Duration(0)
	for {
		err := p.open(ctx)
		switch statusOf(err) {
		case 0, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return err
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		wait = min(max(2*wait, p.o.RetryBackoff), p.o.MaxRetryBackoff)
		p.log.Warn("starting failed; trying again", "err", err, "in", wait)
		if !p.pause(ctx, wait) {
			return context.Cause(ctx) // nil after Shutdown
		}
	}
}

// pause waits d; false if ctx ended or Shutdown began first.
func (p *Processor) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-p.stopping:
		return false
	case <-t.C:
		return true
	}
}

// open resolves the containers and makes sure the leases exist.
func (p *Processor) open(ctx context.Context) error {
	mon, err := p.o.Monitored.Read(ctx, nil)
	if err != nil {
		return fmt.Errorf("changefeed: read monitored container %s: %w", p.o.Monitored.ID(), err)
	}
	if _, err := p.o.Leases.Read(ctx, nil); err != nil {
		return fmt.Errorf("changefeed: read lease container %s (it must exist): %w", p.o.Leases.ID(), err)
	}
	props := mon.ContainerProperties
	dbRID := databaseRID(props.SelfLink)
	p.leases = &leaseStore{c: p.o.Leases, prefix: p.o.Prefix + dbRID + "_" + props.ResourceID, now: p.now}
	p.feed = &feedReader{c: p.o.Monitored, rid: props.ResourceID, max: int32(p.o.MaxItemsPerInvocation),
		fromNow: !p.o.StartFromBeginning && p.o.StartFromTime.IsZero()}
	if !p.o.StartFromTime.IsZero() {
		t := p.o.StartFromTime
		p.feed.since = &t
	}
	return p.bootstrap(ctx)
}

// databaseRID takes the database's resource id out of a container's self
// link ("dbs/<db rid>/colls/<container rid>/").
func databaseRID(self string) string {
	parts := strings.Split(strings.Trim(self, "/"), "/")
	if len(parts) >= 2 && parts[0] == "dbs" {
		return parts[1]
	}
	return ""
}

// drain is the graceful end of Run: workers stop after their batch in hand
// (leases are still renewed meanwhile), then the held leases are released.
func (p *Processor) drain(ctx context.Context, renew <-chan time.Time) error {
	idle := make(chan struct{})
	go func() { p.workers.Wait(); close(idle) }()
	for waiting := true; waiting; {
		select {
		case <-idle:
			waiting = false
		case <-renew:
			p.renewAll(ctx)
		case <-ctx.Done():
			<-idle
			return context.Cause(ctx)
		}
	}
	for _, h := range p.heldLeases() {
		err := h.update(ctx, p.leases, func(d *leaseDoc) error {
			if err := ownedBy(p.o.Owner)(d); err != nil {
				return err
			}
			d.Owner = ""
			return nil
		})
		switch {
		case errors.Is(err, errLeaseLost):
			p.log.Info("lease already lost", "lease", h.rng.token(), "err", err)
		case err != nil:
			p.log.Warn("lease not released; it will expire", "lease", h.rng.token(), "err", err)
		default:
			p.log.Info("lease released", "lease", h.rng.token())
		}
	}
	return nil
}

// heldLeases lists the leases held now.
func (p *Processor) heldLeases() []*heldLease {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*heldLease, 0, len(p.held))
	for _, h := range p.held {
		out = append(out, h)
	}
	return out
}

// renewAll renews every held lease that was not written lately (a
// checkpoint renews too); a lease found with another owner stops its worker.
func (p *Processor) renewAll(ctx context.Context) {
	for _, h := range p.heldLeases() {
		if p.now().Sub(h.snapshot().Timestamp) < p.o.LeaseRenewInterval/2 {
			continue
		}
		err := h.update(ctx, p.leases, ownedBy(p.o.Owner))
		switch {
		case errors.Is(err, errLeaseLost):
			p.log.Info("lease lost", "lease", h.rng.token(), "err", err)
			h.cancel(err)
		case err != nil && ctx.Err() == nil:
			p.log.Warn("lease renewal failed", "lease", h.rng.token(), "err", err)
		}
	}
}

// Stats reports every lease of the prefix as last listed, with live figures
// for the leases this instance holds.
func (p *Processor) Stats() Stats {
	p.mu.Lock()
	known := p.known
	held := make(map[string]*heldLease, len(p.held))
	for id, h := range p.held {
		held[id] = h
	}
	p.mu.Unlock()
	now := p.now()
	out := Stats{Owner: p.o.Owner}
	for _, h := range held {
		d := h.snapshot()
		s := LeaseStats{LeaseToken: d.LeaseToken, Owner: string(d.Owner), Held: true, Continuation: string(d.ContinuationToken)}
		h.stats.fill(now, &s)
		out.Leases = append(out.Leases, s)
	}
	for _, d := range known {
		if held[d.ID] == nil {
			out.Leases = append(out.Leases, LeaseStats{LeaseToken: d.LeaseToken, Owner: string(d.Owner), Continuation: string(d.ContinuationToken)})
		}
	}
	sortLeaseStats(out.Leases)
	return out
}
