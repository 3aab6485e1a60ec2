package queryapi

import (
	"context"
	"time"
)

// DefaultActivePollInterval is how often the query API asks which views
// container is active. A rebuild keeps filling the new container for longer
// than this after it switches (its grace period), so every instance has
// started loading it before the old one stops changing.
const DefaultActivePollInterval = time.Second

// ViewsSource names the active views container and opens the change feed of
// any views container: the pointer that `orderctx rebuild views` switches
// (infra/viewpointer) and infra/feedreader.
type ViewsSource interface {
	// ActiveViews returns the active container's name. Errors are transient.
	ActiveViews(ctx context.Context) (string, error)
	// OpenViews returns the change feed of a views container from its beginning.
	OpenViews(container string) Feed
}

// viewsFollower is one views container's feed being applied to the model.
type viewsFollower struct {
	name     string
	caughtUp chan struct{} // closed when its feed first caught up
	cancel   context.CancelFunc
	done     chan struct{}
}

func (f *viewsFollower) stop() {
	f.cancel()
	<-f.done
}

// followActive follows the active views container and moves to another one
// without downtime when the pointer changes: the new container's feed is
// applied to the same model beside the old one's (a view replaces the one
// held only when it is newer or differs at the same version, so a verified
// copy changes nothing and notifies no one), and once it has caught up the
// old feed stops. Reads keep answering from the model all along, and no
// order's version ever goes back.
func (a *API) followActive(ctx context.Context) {
	name, ok := a.resolveActive(ctx)
	if !ok {
		return
	}
	cur := a.startViews(ctx, name)
	var next *viewsFollower
	defer func() {
		cur.stop()
		if next != nil {
			next.stop()
		}
	}()
	tick := time.NewTicker(a.opts.ActivePollInterval)
	defer tick.Stop()
	failures := 0
	for {
		var nextCaughtUp <-chan struct{}
		if next != nil {
			nextCaughtUp = next.caughtUp
		}
		select {
		case <-ctx.Done():
			return
		case <-nextCaughtUp:
			cur.stop()
			a.log.Info("now serving the views of another container", "from", cur.name, "to", next.name)
			cur, next = next, nil
			a.active.Store(cur.name)
		case <-tick.C:
			active, err := a.deps.Source.ActiveViews(ctx)
			if err != nil {
				if failures++; failures == 1 || failures%30 == 0 {
					a.log.Warn("reading the active views container failed; retrying", "failures", failures, "err", err)
				}
				continue
			}
			failures = 0
			next = a.retarget(ctx, cur, next, active)
		}
	}
}

// retarget returns the follower that should be loading beside cur, given
// the container the pointer names now.
func (a *API) retarget(ctx context.Context, cur, next *viewsFollower, active string) *viewsFollower {
	if next != nil && next.name == active {
		return next
	}
	if next != nil {
		next.stop() // switched again before it caught up
		next = nil
	}
	if active == cur.name {
		return nil
	}
	a.log.Info("the active views container changed; loading it beside the current one", "from", cur.name, "to", active)
	return a.startViews(ctx, active)
}

// startViews starts following one views container.
func (a *API) startViews(ctx context.Context, name string) *viewsFollower {
	fctx, cancel := context.WithCancel(ctx)
	f := &viewsFollower{name: name, caughtUp: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		a.follow(fctx, "views:"+name, a.deps.Source.OpenViews(name), a.opts.PollInterval, a.applyViews, func() {
			a.markReady()
			closeOnce(f.caughtUp)
		})
	}()
	return f
}

// resolveActive asks for the active container until the answer comes or
// ctx ends, backing off as the feeds do.
func (a *API) resolveActive(ctx context.Context) (string, bool) {
	delay := time.Duration(0)
	for failures := 1; ; failures++ {
		name, err := a.deps.Source.ActiveViews(ctx)
		if err == nil {
			a.active.Store(name)
			return name, true
		}
		if failures == 1 || failures%20 == 0 {
			a.log.Warn("reading the active views container failed; retrying", "failures", failures, "err", err)
		}
		delay = min(max(2*delay, retryFirst), retryLast)
		if !sleep(ctx, delay) {
			return "", false
		}
	}
}
