// Package parking turns a handler of decoded events into a change-feed
// consumer (functions.Consumer) that never blocks on an event it can never
// process, and never loses one either.
//
// For each batch, Consumer decodes the documents through the event registry
// (upcasting old schemas), looks up in one query which of the batch's streams
// already have parked events of this consumer (unless, with RememberVacancy,
// it knows that nothing of it is parked), and hands the rest to the Handler
// in feed order. An event that can never be processed (it does not
// decode, or the Handler reports it as a *PoisonError) is parked: stored in
// the deadletters container with the reason and the raw document. Every later
// event of its stream is parked behind it, in this batch and in every later
// one, on this instance or any other (the deadletters container is the
// record), so each stream's events are processed in order or not at all. The
// invocation then succeeds with everything else processed.
//
// Any other error from the Handler or the store is transient: Handle returns
// it, the invocation fails and the host delivers the batch again, so handlers
// must be idempotent (a re-delivered batch is processed again in full).
package parking

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"orderctx/domain/es"
	"orderctx/functions"
	"orderctx/functions/internal/fanout"
)

// Handler processes the decoded events of one batch, in feed order (each
// stream's events in version order). It returns a *PoisonError for each
// event that can never be processed (errors.Join for several), having
// changed nothing, and any other error for a transient failure.
type Handler interface {
	HandleEvents(ctx context.Context, events []es.Envelope) (functions.Result, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, events []es.Envelope) (functions.Result, error)

// HandleEvents calls f.
func (f HandlerFunc) HandleEvents(ctx context.Context, events []es.Envelope) (functions.Result, error) {
	return f(ctx, events)
}

// Config wires a Consumer.
type Config struct {
	// Consumer is the consumer's persistent name: the deadletters partition
	// its letters go to. It must never change while letters exist.
	Consumer string
	Registry *es.Registry
	Store    Store
	Handler  Handler
	// Log receives a warning per parked event; nil discards.
	Log *slog.Logger
	// Clock stamps ParkedAt; nil means es.SystemClock.
	Clock es.Clock
	// Decoded, when set, shares decoded documents with the other consumers
	// of the same feed and registry in this process (nil: each decodes).
	Decoded *DecodedCache
	// RememberVacancy lets the consumer skip the per-batch lookup of parked
	// streams while it knows that nothing of it is parked (one AnyParked
	// check, then again every Recheck, after each LeaseAcquired and after it
	// parks something). Only for a host that calls LeaseAcquired for every
	// lease it acquires (funchost in process); a handler that cannot see the
	// leases (the custom handler in Azure) must leave it off.
	RememberVacancy bool
	// Recheck bounds how long the consumer trusts a vacant partition
	// (default DefaultRecheck): the delay before it sees letters written by
	// something other than the lease holder.
	Recheck time.Duration
}

// Validate reports every missing piece at once.
func (c Config) Validate() error {
	var errs []error
	if c.Consumer == "" {
		errs = append(errs, errors.New("parking: Consumer name is required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("parking: Registry is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("parking: Store is required"))
	}
	if c.Handler == nil {
		errs = append(errs, errors.New("parking: Handler is required"))
	}
	if c.Recheck < 0 {
		errs = append(errs, fmt.Errorf("parking: Recheck %v is negative", c.Recheck))
	}
	return errors.Join(errs...)
}

// Consumer is a functions.Consumer that parks what can never be processed.
type Consumer struct {
	cfg     Config
	parked  atomic.Int64
	vacancy *vacancy // nil: look up every batch's streams
}

var _ functions.Consumer = (*Consumer)(nil)

// New returns a Consumer, or the configuration's problems.
func New(cfg Config) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = es.SystemClock{}
	}
	c := &Consumer{cfg: cfg}
	if cfg.RememberVacancy {
		c.vacancy = &vacancy{recheck: cmp.Or(cfg.Recheck, DefaultRecheck)}
	}
	return c, nil
}

// Parked returns how many events this Consumer has parked since it started,
// counting an event again each time a re-delivery parks it again.
func (c *Consumer) Parked() int64 { return c.parked.Load() }

// Handle implements functions.Consumer.
func (c *Consumer) Handle(ctx context.Context, docs []json.RawMessage) (functions.Result, error) {
	b := &batch{consumer: c.cfg.Consumer, at: c.cfg.Clock.Now(), items: make([]item, len(docs))}
	fanout.Each(len(docs), func(i int) { b.items[i] = c.cfg.Decoded.decode(c.cfg.Registry, docs[i]) })
	heads, err := c.heads(ctx, b)
	if err != nil {
		return functions.Result{}, fmt.Errorf("%s: look up parked streams: %w", c.cfg.Consumer, err)
	}
	b.block(heads)
	res, err := c.run(ctx, b)
	if err != nil {
		return functions.Result{}, err
	}
	if len(b.letters) == 0 {
		return res, nil
	}
	if c.vacancy != nil {
		c.vacancy.occupy(c.cfg.Clock.Now())
	}
	if err := c.cfg.Store.Park(ctx, b.letters); err != nil {
		return functions.Result{}, fmt.Errorf("%s: park %d events: %w", c.cfg.Consumer, len(b.letters), err)
	}
	c.parked.Add(int64(len(b.letters)))
	res.Logs = append(res.Logs, c.report(b))
	return res, nil
}

// heads returns the lowest parked version of each of the batch's streams
// that has parked events: one query, unless nothing is known to be parked.
func (c *Consumer) heads(ctx context.Context, b *batch) (map[string]int64, error) {
	lookup, err := c.needsLookup(ctx)
	if err != nil || !lookup {
		return nil, err
	}
	return c.cfg.Store.Heads(ctx, c.cfg.Consumer, b.streams())
}

// run calls the handler until it accepts the events left, parking what it
// reports as poison. Each round parks at least one more event, so it ends.
func (c *Consumer) run(ctx context.Context, b *batch) (functions.Result, error) {
	for {
		events := b.runnable()
		if len(events) == 0 {
			return functions.Result{}, nil
		}
		res, err := c.cfg.Handler.HandleEvents(ctx, events)
		if err == nil {
			return res, nil
		}
		found, ok := poisons(err)
		if !ok {
			return functions.Result{}, fmt.Errorf("%s: %w", c.cfg.Consumer, err)
		}
		for _, p := range found {
			if !b.poison(p) {
				return functions.Result{}, fmt.Errorf("%s: the handler reported %s@%d, which it was not given: %w", c.cfg.Consumer, p.StreamID, p.Version, err)
			}
		}
	}
}

// report logs each letter parked for its own sake and sums up the batch.
func (c *Consumer) report(b *batch) string {
	streams := map[string]bool{}
	behind := 0
	for _, l := range b.letters {
		streams[l.StreamID] = true
		if l.Reason == reasonBehind {
			behind++
			continue
		}
		c.cfg.Log.Warn("parked an event", "consumer", l.Consumer, "streamId", l.StreamID, "version", l.Version,
			"eventId", l.EventID, "type", l.EventType, "reason", l.Reason)
	}
	line := fmt.Sprintf("%s: parked %d events of %d streams (%d behind an earlier parked event); %d parked since start",
		c.cfg.Consumer, len(b.letters), len(streams), behind, c.parked.Load())
	c.cfg.Log.Info(line)
	return line
}
