package queryapi

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/infra/httpapi"
	"orderctx/queryapi/audit"
	"orderctx/queryapi/live"
	"orderctx/queryapi/readmodel"
)

// Backoff after a failed feed read: doubling from the first to the last.
const (
	retryFirst = 50 * time.Millisecond
	retryLast  = 2 * time.Second
)

// Follow fills the read model from the views feed and keeps it current
// until ctx ends. Once the views have caught up it also follows the events
// feed into the audit index, so the audit's work never delays readiness.
// Feed errors are logged and retried with backoff; a model that reached its
// memory cap stops following (and answers 503 until restarted with a larger
// cap), because serving it as if it were current would be wrong.
func (a *API) Follow(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if a.deps.Source != nil {
			a.followActive(ctx)
			return
		}
		a.follow(ctx, "views", a.deps.Views, a.opts.PollInterval, a.applyViews, a.markReady)
	}()
	if a.deps.Events != nil {
		select {
		case <-a.ready:
			a.follow(ctx, "events", a.deps.Events, a.opts.AuditPollInterval, a.indexEvents, func() { closeOnce(a.auditReady) })
		case <-ctx.Done():
		}
	}
	<-done
}

// follow reads one feed until ctx ends or apply fails for good.
func (a *API) follow(ctx context.Context, name string, feed Feed, poll time.Duration, apply func([][]byte) error, caughtUp func()) {
	delay := time.Duration(0)
	failures := 0
	for ctx.Err() == nil {
		docs, atHead, err := feed.Next(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			failures++
			delay = min(max(2*delay, retryFirst), retryLast)
			if failures == 1 || failures%20 == 0 {
				a.log.Warn("reading the change feed failed; retrying", "feed", name, "failures", failures, "err", err)
			}
		case len(docs) > 0:
			failures, delay = 0, 0
			if err := apply(docs); err != nil {
				a.log.Error("stopped following the change feed", "feed", name, "err", err)
				return
			}
			if !atHead {
				continue // more may be waiting: read on at once
			}
			// These were the last: wait as after a read that found nothing,
			// instead of reading again at once only to find nothing.
			delay = poll
			caughtUp()
		case atHead:
			failures, delay = 0, poll
			caughtUp()
		}
		if !sleep(ctx, delay) {
			return
		}
	}
}

// markReady ends the initial load: the sorted indexes are built and reads
// are served from then on.
func (a *API) markReady() {
	a.model.BuildIndexes()
	a.readyOnce.Do(func() { close(a.ready) })
}

// applyViews parses a page of view documents (which the feed hands over)
// and applies it. Unreadable
// documents are logged and skipped (the order stays as it was); only a full
// model stops the follower. Two feeds apply at once while the API moves to
// another views container; one at a time keeps the live stream's positions
// in order.
func (a *API) applyViews(docs [][]byte) error {
	views := make([]*readmodel.View, 0, len(docs))
	for _, doc := range docs {
		v, err := readmodel.ParseOwnedView(doc)
		if err != nil {
			a.log.Warn("skipped an unreadable view document", "err", err)
			continue
		}
		views = append(views, v)
	}
	a.applyMu.Lock()
	defer a.applyMu.Unlock()
	applied, err := a.model.Apply(views)
	changes := make([]live.Change, len(applied))
	for i, v := range applied {
		changes[i] = live.Change{Seq: v.Seq, Data: v.Doc}
	}
	a.hub.Publish(changes)
	return err
}

// indexEvents parses a page of event documents into the audit index.
func (a *API) indexEvents(docs [][]byte) error {
	refs := make([]audit.Ref, 0, len(docs))
	for _, doc := range docs {
		r, err := audit.ParseEvent(doc)
		if err != nil {
			a.log.Warn("skipped an unreadable event document", "err", err)
			continue
		}
		refs = append(refs, r)
	}
	a.audit.Add(refs)
	return nil
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// closeOnce closes a channel that only this goroutine closes.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// readable refuses reads while the model cannot answer them truthfully:
// before the initial load has caught up, or after the memory cap stopped it.
func (a *API) readable() error {
	if err := a.model.Err(); err != nil {
		return refuse(kindNotReady, RuleMemoryCap, "", "%v; restart with a larger cap (-max-memory-mib)", err)
	}
	select {
	case <-a.ready:
		return nil
	default:
		return refuse(kindNotReady, RuleLoading, "", "the read model is still loading the views; retry shortly")
	}
}

// healthz handles GET /healthz: the process is up and serving.
func (a *API) healthz(c echo.Context) error {
	return httpapi.WriteJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// Readiness is the body of a ready /readyz: what the read model holds and
// who is waiting on it.
type Readiness struct {
	Status         string `json:"status"`
	Orders         int    `json:"orders"`
	MemoryBytes    int64  `json:"memoryBytes"`
	MaxMemoryBytes int64  `json:"maxMemoryBytes"`
	// WaitingOrders is the number of orders that minVersion reads wait for.
	WaitingOrders int `json:"waitingOrders"`
	// Subscribers is the number of /live subscribers.
	Subscribers int `json:"subscribers"`
	// AuditEvents is the number of events in the audit index (-1 before it
	// has caught up with the events feed).
	AuditEvents int `json:"auditEvents"`
	// ViewsContainer is the views container being served, when the API
	// follows the active one (it changes when a rebuild switches).
	ViewsContainer string `json:"viewsContainer,omitempty"`
}

// readyz handles GET /readyz: 200 once the initial load has caught up with
// the views feed (and while the model can follow it), else 503.
func (a *API) readyz(c echo.Context) error {
	if err := a.readable(); err != nil {
		return err
	}
	r := Readiness{Status: "ready", WaitingOrders: a.model.Waiting(), Subscribers: a.hub.Subscribers(), AuditEvents: -1}
	r.Orders, r.MemoryBytes, r.MaxMemoryBytes = a.model.Usage()
	r.ViewsContainer, _ = a.active.Load().(string)
	select {
	case <-a.auditReady:
		r.AuditEvents, _ = a.audit.Len()
	default:
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return httpapi.WriteJSON(c, http.StatusOK, r)
}
