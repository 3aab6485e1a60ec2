package changefeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// bootstrap makes sure the prefix has its leases, as the .NET processor's
// bootstrapper does: the first instance creates one unowned lease per feed
// range of the monitored container and then the marker "<prefix>.info";
// a "<prefix>.lock" document keeps two instances from doing it at once.
// After that, the set of leases changes only when a range splits, and the
// holder of that range's lease handles it. A lock whose writer has not
// finished within the lease expiration interval is taken as abandoned.
func (p *Processor) bootstrap(ctx context.Context) error {
	info, lock := p.leases.prefix+".info", p.leases.prefix+".lock"
	for {
		if _, err := p.o.Leases.ReadItem(ctx, azcosmos.NewPartitionKeyString(info), info, nil); err == nil {
			return nil
		} else if statusOf(err) != http.StatusNotFound {
			return fmt.Errorf("changefeed: read %s: %w", info, err)
		}
		locked, err := p.createMarker(ctx, lock)
		if err != nil {
			return err
		}
		if locked {
			err := p.createMissingLeases(ctx)
			if err == nil {
				_, err = p.createMarker(ctx, info)
			}
			_, _ = p.o.Leases.DeleteItem(context.WithoutCancel(ctx), azcosmos.NewPartitionKeyString(lock), lock, nil)
			return err
		}
		if err := p.breakStaleLock(ctx, lock); err != nil {
			return err
		}
		if !p.pause(ctx, min(p.o.LeaseAcquireInterval, 500*time.Millisecond)) {
			return context.Cause(ctx) // nil after Shutdown
		}
	}
}

// marker is the .info and .lock document: an id and when it was written
// (ttl lets a container with time-to-live enabled drop a forgotten lock).
type marker struct {
	ID        string    `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	TTL       int       `json:"ttl,omitempty"`
}

// createMarker creates a marker document; false if it exists already.
func (p *Processor) createMarker(ctx context.Context, id string) (bool, error) {
	m := marker{ID: id, Timestamp: p.now().UTC()}
	if id != p.leases.prefix+".info" {
		m.TTL = max(1, int(p.o.LeaseExpirationInterval.Seconds()))
	}
	body, _ := json.Marshal(m)
	_, err := p.o.Leases.CreateItem(ctx, azcosmos.NewPartitionKeyString(id), body, nil)
	switch statusOf(err) {
	case 0:
		return true, nil
	case http.StatusConflict:
		return false, nil
	}
	return false, fmt.Errorf("changefeed: create %s: %w", id, err)
}

// breakStaleLock deletes the bootstrap lock if its writer has held it for
// longer than the lease expiration interval.
func (p *Processor) breakStaleLock(ctx context.Context, lock string) error {
	resp, err := p.o.Leases.ReadItem(ctx, azcosmos.NewPartitionKeyString(lock), lock, nil)
	if statusOf(err) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("changefeed: read %s: %w", lock, err)
	}
	var m marker
	if err := json.Unmarshal(resp.Value, &m); err != nil || m.Timestamp.Add(p.o.LeaseExpirationInterval).After(p.now()) {
		return nil
	}
	p.log.Warn("breaking an abandoned bootstrap lock", "lock", lock, "since", m.Timestamp)
	_, err = p.o.Leases.DeleteItem(ctx, azcosmos.NewPartitionKeyString(lock), lock, &azcosmos.ItemOptions{IfMatchEtag: &resp.ETag})
	if s := statusOf(err); s != 0 && s != http.StatusNotFound && s != http.StatusPreconditionFailed {
		return fmt.Errorf("changefeed: delete %s: %w", lock, err)
	}
	return nil
}

// createMissingLeases creates a lease for every feed range that no lease
// covers yet (one sharing its lower or upper bound counts as covering it,
// as in the .NET processor).
func (p *Processor) createMissingLeases(ctx context.Context) error {
	ranges, err := p.o.Monitored.ReadFeedRanges(ctx, nil)
	if err != nil {
		return fmt.Errorf("changefeed: read feed ranges: %w", err)
	}
	existing, err := p.leases.list(ctx)
	if err != nil {
		return fmt.Errorf("changefeed: %w", err)
	}
	var errs []error
	for _, fr := range ranges {
		r := feedRange{Min: fr.MinInclusive, Max: fr.MaxExclusive}
		if covered(existing, r) {
			continue
		}
		if _, err := p.leases.create(ctx, p.leases.newLease(r, "", nil)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("changefeed: %w", err)
	}
	p.log.Info("leases created", "ranges", len(ranges))
	return nil
}

func covered(leases []leaseDoc, r feedRange) bool {
	for _, l := range leases {
		if l.FeedRange.Range.Min == r.Min || l.FeedRange.Range.Max == r.Max {
			return true
		}
	}
	return false
}
