// Package rebuild rebuilds read models from the events while the live
// system keeps serving and projecting: `orderctx rebuild views` and
// `orderctx rebuild postgres`. docs/rebuild.md describes both.
//
// A rebuild of the views expands, then contracts: it creates a new views
// container beside the live one (views-2, views-3, ...), fills it with its
// own lease-based reader of the events feed from the beginning (the
// projector itself, writing there), keeps it current until the end, checks
// it against the live views, switches the views pointer to it (the
// projector and every query API instance follow the pointer), keeps
// filling it for a grace period while the others notice, and then keeps or
// drops the old container.
//
// Both rebuilds hold a claim (a lock with an owner and an expiry, written
// with etags) for their whole run, so a second one started meanwhile is
// refused; the claim also records how far the run got, and the reader's
// leases hold its position, so an interrupted rebuild resumes.
package rebuild

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"orderctx/infra/claim"
)

// Claim ids: documents in the leases container (see infra/claim).
const (
	ViewsClaim    = "orderctx.meta.rebuild.views"
	PostgresClaim = "orderctx.meta.rebuild.postgres"
)

// Defaults of the options.
const (
	// DefaultClaimTTL is how long a claim outlives a killed process; a
	// rebuild interrupted gracefully releases it at once.
	DefaultClaimTTL = 30 * time.Second
	// DefaultGrace is how long the rebuild keeps filling the new views
	// container after the switch: longer than the pointer's refresh
	// (viewstore.DefaultRefresh, queryapi.DefaultActivePollInterval) plus a
	// batch, so that every write the live projector still sent to the old
	// container is in the new one too.
	DefaultGrace = 10 * time.Second
	// DefaultVerifyTimeout bounds the comparison with the live copy while
	// differences may still be lag.
	DefaultVerifyTimeout = time.Minute
)

// ErrRunning is wrapped by the error of a rebuild refused because another
// one holds the claim.
var ErrRunning = errors.New("a rebuild is already running")

// defaultOwner names this process in claims: host, process id, random.
func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// keeper holds a claim for a run: it renews it in the background, saves
// the run's state with it, and cancels the run when the claim is lost.
type keeper struct {
	claims *claim.Store
	ttl    time.Duration
	log    *slog.Logger

	mu  sync.Mutex
	cur claim.Claim
}

// hold acquires the claim id and starts renewing it until ctx ends; the
// returned context is cancelled if the claim is lost.
func hold(ctx context.Context, claims *claim.Store, id, owner string, ttl time.Duration, log *slog.Logger) (*keeper, context.Context, context.CancelCauseFunc, error) {
	c, err := claims.Acquire(ctx, id, owner, ttl)
	if errors.Is(err, claim.ErrHeld) {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrRunning, err)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	k := &keeper{claims: claims, ttl: ttl, log: log, cur: c}
	runCtx, cancel := context.WithCancelCause(ctx)
	go k.renew(runCtx, cancel)
	return k, runCtx, cancel, nil
}

func (k *keeper) renew(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(k.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		k.mu.Lock()
		c, err := k.claims.Renew(ctx, k.cur, k.ttl)
		if err == nil {
			k.cur = c
		}
		k.mu.Unlock()
		switch {
		case errors.Is(err, claim.ErrLost):
			cancel(fmt.Errorf("stopped: %w", err))
			return
		case err != nil && ctx.Err() == nil:
			k.log.Warn("renewing the rebuild's claim failed; retrying", "err", err)
		}
	}
}

// state decodes the saved state into v (left as is without one).
func (k *keeper) state(v any) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cur.State) == 0 {
		return nil
	}
	return json.Unmarshal(k.cur.State, v)
}

// save stores the run's state with the claim.
func (k *keeper) save(ctx context.Context, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	c, err := k.claims.Save(ctx, k.cur, raw, k.ttl)
	if err != nil {
		return fmt.Errorf("save the rebuild's state: %w", err)
	}
	k.cur = c
	return nil
}

// finish ends the claim: deleted when the run is over, else released with
// its state so that the next run resumes at once.
func (k *keeper) finish(over bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	k.mu.Lock()
	defer k.mu.Unlock()
	if over {
		return k.claims.Delete(ctx, k.cur)
	}
	return k.claims.Release(ctx, k.cur)
}
