// Package funchost plays the Azure Functions host's part outside Azure: it
// reads the app's function.json files, runs each Cosmos DB trigger itself
// with the lease-based change feed processor (infra/changefeed: leases in the
// lease container, one per feed range, shared among funchost processes), and
// delivers each batch to the custom handler exactly as the host does
// (functions/invoke: the same payload, the function's retry policy), in
// process or over HTTP to an `orderctx functions` process. A batch is
// checkpointed only after the handler accepted it.
package funchost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"orderctx/domain/es"
	"orderctx/functions/funcapp"
	"orderctx/functions/invoke"
	"orderctx/infra/changefeed"
	"orderctx/infra/cosmosdb"
)

// Local polling: the Functions trigger waits feedPollDelay (5 s by default,
// 1 s in this app's function.json) after a read that found nothing. Locally
// the point is freshness (a command's view within milliseconds), so funchost
// polls a quiet feed every DefaultFeedPollDelay, letting the wait grow to
// DefaultMaxFeedPollDelay while nothing changes; the first change brings it
// back. An idle poll of the embedded store costs about 0.25 ms of CPU.
const (
	DefaultFeedPollDelay    = 5 * time.Millisecond
	DefaultMaxFeedPollDelay = 25 * time.Millisecond
	// DefaultBatchDelay is the wait after a short batch before the next
	// read (changefeed.Options.BatchDelay): under load each function's
	// batches gather a few milliseconds of events instead of the one or two
	// that arrived during the previous delivery, so the per-batch work (the
	// feed read, the host request, the dead-letter query, the checkpoint)
	// is shared by more events; a change waits at most this much longer.
	DefaultBatchDelay = 5 * time.Millisecond
	// DefaultRelaxedBatchDelay is the batch delay of the functions that are
	// not urgent by their own function.json (a feedPollDelay above
	// RelaxedAbove: the snapshotter and the PostgreSQL copy, 5 s): their
	// batches gather a tenth of a second of events (up to
	// maxItemsPerInvocation), so their per-batch work is paid for tens of
	// events instead of a few, and they follow that much later.
	DefaultRelaxedBatchDelay = 100 * time.Millisecond
	// RelaxedAbove is the feedPollDelay above which a function counts as
	// not urgent (this app's projector and publisher say 1 s).
	RelaxedAbove = time.Second
	// DefaultShutdownGrace bounds the release of leases on a graceful stop.
	DefaultShutdownGrace = 10 * time.Second
)

// Config wires a Host.
type Config struct {
	App  *funcapp.App
	Conn *cosmosdb.Conn
	// Handler is the custom handler in process; HandlerURL, when set instead,
	// is an `orderctx functions` process to POST to.
	Handler    http.Handler
	HandlerURL string
	// FeedPollDelay and MaxFeedPollDelay override every function's
	// feedPollDelay (zero: the defaults above; negative: function.json's).
	FeedPollDelay, MaxFeedPollDelay time.Duration
	// BatchDelay is every function's wait after a short batch (zero:
	// DefaultBatchDelay; negative: none, read again at once as the
	// Functions trigger does).
	BatchDelay time.Duration
	// RelaxedBatchDelay replaces BatchDelay for the functions whose
	// function.json feedPollDelay is above RelaxedAbove (zero:
	// DefaultRelaxedBatchDelay; negative: BatchDelay, as for the others).
	RelaxedBatchDelay time.Duration
	// LeaseExpiration, when set, overrides leaseExpirationInterval (and
	// scales renew and acquire intervals with it), so a dead process's
	// ranges move sooner in tests and crash drills.
	LeaseExpiration time.Duration
	// Owner names this process in the leases (default: the processor's).
	Owner string
	// Off names functions of the app not to run, with the reason
	// (consumers.Set.Off: a consumer that would pass every event by). No
	// processor runs for them: no feed reads, no lease writes; their leases
	// stay where they are, so once the function is on again it starts from
	// its last checkpoint (or as function.json says when it has none).
	Off map[string]string
	// LeaseAcquired, when set, is told the function each time this process
	// acquires one of the function's leases, before the lease's first batch
	// (consumers.Set.LeaseAcquired, for consumers in process that remember
	// that nothing of theirs is parked).
	LeaseAcquired func(function string)
	Log           *slog.Logger
}

// Host runs every function of an app.
type Host struct {
	cfg        Config
	processors map[string]*changefeed.Processor
	// meters add up each function's store requests and charges (the
	// consumers in process report to the meter of the invocation's context).
	meters map[string]*es.Meter
}

// New builds a processor and an invoker per function.
func New(cfg Config) (*Host, error) {
	if cfg.App == nil || cfg.Conn == nil {
		return nil, errors.New("funchost: an app and a store connection are required")
	}
	if (cfg.Handler == nil) == (cfg.HandlerURL == "") {
		return nil, errors.New("funchost: exactly one of an in-process handler and a handler URL")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	target := invoke.InProcess(cfg.Handler)
	if cfg.HandlerURL != "" {
		target = invoke.HTTP(cfg.HandlerURL, nil)
	}
	h := &Host{cfg: cfg, processors: make(map[string]*changefeed.Processor, len(cfg.App.Functions)), meters: map[string]*es.Meter{}}
	for _, fn := range cfg.App.Functions {
		if reason, off := cfg.Off[fn.Name]; off {
			cfg.Log.Info("funchost: function off: no change-feed processor runs for it", "function", fn.Name, "reason", reason)
			continue
		}
		// The invoker names the function in every record itself.
		p, err := h.processor(fn, invoke.New(fn, target, invoke.Options{Log: cfg.Log}))
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", fn.Name, err)
		}
		h.processors[fn.Name] = p
	}
	return h, nil
}

// processor is the trigger of one function, as function.json configures it.
func (h *Host) processor(fn funcapp.Function, inv *invoke.Invoker) (*changefeed.Processor, error) {
	t := fn.Trigger
	monitored, err := h.cfg.Conn.Client.NewContainer(t.DatabaseName, t.ContainerName)
	if err != nil {
		return nil, err
	}
	leaseDB := t.LeaseDatabaseName
	if leaseDB == "" {
		leaseDB = t.DatabaseName
	}
	leases, err := h.cfg.Conn.Client.NewContainer(leaseDB, t.LeaseContainerName)
	if err != nil {
		return nil, err
	}
	meter := &es.Meter{}
	h.meters[fn.Name] = meter
	o := changefeed.Options{
		Monitored: monitored, Leases: leases, Prefix: t.LeaseContainerPrefix, Owner: h.cfg.Owner,
		MaxItemsPerInvocation: t.MaxItemsPerInvocation, StartFromBeginning: t.StartFromBeginning, StartFromTime: t.StartFromTime,
		FeedPollDelay: t.FeedPollDelay, LeaseAcquireInterval: t.LeaseAcquireInterval,
		LeaseExpirationInterval: t.LeaseExpirationInterval, LeaseRenewInterval: t.LeaseRenewInterval,
		Log: h.cfg.Log.With("function", fn.Name),
		Handler: func(ctx context.Context, b changefeed.Batch) error {
			_, err := inv.Invoke(es.WithMeter(ctx, meter), b.Documents)
			return err
		},
	}
	if told := h.cfg.LeaseAcquired; told != nil {
		o.Acquired = func(string) { told(fn.Name) }
	}
	h.localTimings(&o, t.FeedPollDelay > RelaxedAbove)
	return changefeed.New(o)
}

// localTimings applies the host-wide overrides of polling and lease timings;
// relaxed says the function is not urgent by its own configuration.
func (h *Host) localTimings(o *changefeed.Options, relaxed bool) {
	switch {
	case h.cfg.FeedPollDelay > 0:
		o.FeedPollDelay, o.MaxFeedPollDelay = h.cfg.FeedPollDelay, max(h.cfg.MaxFeedPollDelay, h.cfg.FeedPollDelay)
	case h.cfg.FeedPollDelay == 0:
		o.FeedPollDelay, o.MaxFeedPollDelay = DefaultFeedPollDelay, DefaultMaxFeedPollDelay
	}
	switch {
	case h.cfg.BatchDelay > 0:
		o.BatchDelay = h.cfg.BatchDelay
	case h.cfg.BatchDelay == 0:
		o.BatchDelay = DefaultBatchDelay
	}
	switch {
	case !relaxed || h.cfg.RelaxedBatchDelay < 0:
	case h.cfg.RelaxedBatchDelay > 0:
		o.BatchDelay = h.cfg.RelaxedBatchDelay
	default:
		o.BatchDelay = DefaultRelaxedBatchDelay
	}
	if e := h.cfg.LeaseExpiration; e > 0 {
		o.LeaseExpirationInterval, o.LeaseRenewInterval, o.LeaseAcquireInterval = e, e/4, e/4
	}
}

// Run runs every function until ctx ends, then releases the leases it holds
// (a graceful stop: other processes take them at once). If one trigger fails,
// the others are stopped and its error returned.
func (h *Host) Run(ctx context.Context) error {
	runCtx, abort := context.WithCancel(context.Background())
	defer abort()
	errs := make(chan error, len(h.processors))
	var wg sync.WaitGroup
	for name, p := range h.processors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Run(runCtx); err != nil && runCtx.Err() == nil {
				errs <- fmt.Errorf("function %s: %w", name, err)
			}
		}()
	}
	var failed error
	select {
	case <-ctx.Done():
	case failed = <-errs:
	}
	h.shutdown()
	abort()
	wg.Wait()
	return failed
}

// shutdown releases every processor's leases, bounded in time.
func (h *Host) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownGrace)
	defer cancel()
	var wg sync.WaitGroup
	for name, p := range h.processors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Shutdown(ctx); err != nil {
				h.cfg.Log.Warn("funchost: releasing leases failed; they expire instead", "function", name, "err", err)
			}
		}()
	}
	wg.Wait()
}

// Stats returns each function's lease report.
func (h *Host) Stats() map[string]changefeed.Stats {
	out := make(map[string]changefeed.Stats, len(h.processors))
	for name, p := range h.processors {
		out[name] = p.Stats()
	}
	return out
}
