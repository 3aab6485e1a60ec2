package store

// No answer may rest on a write that a crash can take back. A write is
// published to memory under c.mu, before the log group that carries it is
// synced, so that later writes can stage against it without waiting; every
// answer therefore notes the newest change it observed (an LSN: of the item,
// of its logical partition or of its physical range) while it holds c.mu,
// and waits, after unlocking, until the container is durable up to there.
//
// One LSN covers everything before it: a container's writes enter the log
// queue in LSN order (they are submitted under c.mu), the log writer syncs
// groups in queue order, and it runs each request's after callback, which
// advances c.durable, in that order once the request's group is synced.
//
// Container and database definitions take the other route: their changes
// hold the lock that guards them until the log has synced them, so nothing
// sees them before that (they are rare, and a few milliseconds of blocking
// there costs nothing that matters).

// awaitDurable returns once every change of the container up to lsn is
// durable: at once when it already is (one atomic load, the common case and
// always in memory mode), else when the log writer gets there. It gives up
// with 503 when the engine closes meanwhile.
func (c *Container) awaitDurable(lsn uint64) *Error {
	if lsn <= c.durable.Load() {
		return nil
	}
	return c.awaitDurableSlow(lsn)
}

func (c *Container) awaitDurableSlow(lsn uint64) *Error {
	c.waiters.Add(1)
	defer c.waiters.Add(-1)
	closing := c.db.engine.closing
	if hook := c.db.engine.opts.hooks.awaiting; hook != nil {
		hook()
	}
	for {
		c.wakeMu.Lock()
		if lsn <= c.durable.Load() {
			c.wakeMu.Unlock()
			return nil
		}
		if c.wake == nil {
			c.wake = make(chan struct{})
		}
		wake := c.wake
		c.wakeMu.Unlock()
		select {
		case <-wake:
		case <-closing:
			if lsn <= c.durable.Load() {
				return nil
			}
			return errf(503, "ServiceUnavailable", "The store is shutting down before the data this answer depends on became durable; retry.")
		}
	}
}

// markDurable records that every change up to lsn is durable and wakes the
// answers waiting for it. Waiters announce themselves in c.waiters before
// they check c.durable, so when none is counted here, none can miss this.
func (c *Container) markDurable(lsn uint64) {
	for {
		cur := c.durable.Load()
		if lsn <= cur {
			return
		}
		if c.durable.CompareAndSwap(cur, lsn) {
			break
		}
	}
	if c.waiters.Load() == 0 {
		return
	}
	c.wakeMu.Lock()
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
	c.wakeMu.Unlock()
}
