package changefeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// errLeaseLost says another owner holds the lease now, or it was deleted
// (its range split and was handed to children). The holder stops.
var errLeaseLost = errors.New("lease lost")

// errPrecondition is a 412: the document changed since it was read.
var errPrecondition = errors.New("lease document changed")

// updateAttempts bounds the read-and-retry loop of one lease update, as the
// .NET processor does (it tries 6 times).
const updateAttempts = 6

// leaseStore reads and writes one processor's lease documents. Every write of
// an existing lease carries If-Match with the ETag last seen, so two writers
// never both succeed on the same version: that is what keeps a lease with one
// owner.
type leaseStore struct {
	c      *azcosmos.ContainerClient
	prefix string // "<Prefix><database rid>_<container rid>"
	now    func() time.Time
}

// stamp is the time written into a lease: UTC, to the 100 ns a .NET
// DateTime holds (so the JSON has at most 7 decimals, which it parses).
func (s *leaseStore) stamp() time.Time { return s.now().UTC().Truncate(100 * time.Nanosecond) }

// leaseID is the id of the lease for a lease token.
func (s *leaseStore) leaseID(token string) string { return s.prefix + ".." + token }

// newLease is an unowned lease for a feed range, starting at continuation.
func (s *leaseStore) newLease(r feedRange, continuation string, props map[string]string) leaseDoc {
	if props == nil {
		props = map[string]string{}
	}
	return leaseDoc{ID: s.leaseID(r.token()), Version: leaseVersionEPK, LeaseToken: r.token(),
		FeedRange: feedRangeJ{Range: r}, ContinuationToken: nullString(continuation),
		Timestamp: s.stamp(), Properties: props, Mode: modeIncremental}
}

// list returns every lease of this processor (ids starting with prefix + "..").
func (s *leaseStore) list(ctx context.Context) ([]leaseDoc, error) {
	q := "SELECT * FROM c WHERE STARTSWITH(c.id, @prefix)"
	pager := s.c.NewQueryItemsPager(q, azcosmos.NewPartitionKey(), &azcosmos.QueryOptions{
		QueryParameters: []azcosmos.QueryParameter{{Name: "@prefix", Value: s.prefix + ".."}}})
	var out []leaseDoc
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		for _, b := range page.Items {
			d, err := decodeLease(b)
			if err != nil {
				return nil, fmt.Errorf("lease document: %w", err)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// read returns the stored lease; errLeaseLost if it no longer exists.
func (s *leaseStore) read(ctx context.Context, id string) (leaseDoc, error) {
	resp, err := s.c.ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
	if statusOf(err) == http.StatusNotFound {
		return leaseDoc{}, fmt.Errorf("%w: %s was deleted", errLeaseLost, id)
	}
	if err != nil {
		return leaseDoc{}, fmt.Errorf("read lease %s: %w", id, err)
	}
	return decodeLease(resp.Value)
}

// create stores a new lease; false if one with its id exists already.
func (s *leaseStore) create(ctx context.Context, d leaseDoc) (bool, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return false, err
	}
	_, err = s.c.CreateItem(ctx, azcosmos.NewPartitionKeyString(d.ID), body, nil)
	switch statusOf(err) {
	case 0:
		return true, nil
	case http.StatusConflict:
		return false, nil
	}
	return false, fmt.Errorf("create lease %s: %w", d.ID, err)
}

// replace writes d if the stored document still has d's ETag.
func (s *leaseStore) replace(ctx context.Context, d leaseDoc) (leaseDoc, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return d, err
	}
	etag := azcore.ETag(d.etag)
	resp, err := s.c.ReplaceItem(ctx, azcosmos.NewPartitionKeyString(d.ID), d.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &etag})
	switch statusOf(err) {
	case 0:
		d.etag = string(resp.ETag)
		return d, nil
	case http.StatusPreconditionFailed:
		return d, errPrecondition
	case http.StatusNotFound:
		return d, fmt.Errorf("%w: %s was deleted", errLeaseLost, d.ID)
	}
	return d, fmt.Errorf("write lease %s: %w", d.ID, err)
}

// remove deletes d if it still has d's ETag; a lease already gone is fine.
func (s *leaseStore) remove(ctx context.Context, d leaseDoc) error {
	etag := azcore.ETag(d.etag)
	_, err := s.c.DeleteItem(ctx, azcosmos.NewPartitionKeyString(d.ID), d.ID, &azcosmos.ItemOptions{IfMatchEtag: &etag})
	switch statusOf(err) {
	case 0, http.StatusNotFound:
		return nil
	case http.StatusPreconditionFailed:
		return errPrecondition
	}
	return fmt.Errorf("delete lease %s: %w", d.ID, err)
}

// update applies change to the lease and writes it with If-Match. When the
// document changed meanwhile (412) it reads it again and applies change to
// the stored version, so change decides on fresh data (typically: is the
// owner still the one expected?). change returns an error to give up.
func (s *leaseStore) update(ctx context.Context, d leaseDoc, change func(*leaseDoc) error) (leaseDoc, error) {
	for range updateAttempts {
		next := d.clone()
		if err := change(&next); err != nil {
			return d, err
		}
		next.Timestamp = s.stamp()
		out, err := s.replace(ctx, next)
		if !errors.Is(err, errPrecondition) {
			return out, err
		}
		if d, err = s.read(ctx, d.ID); err != nil {
			return d, err
		}
	}
	return d, fmt.Errorf("%w: %s kept changing under %d attempts", errLeaseLost, d.ID, updateAttempts)
}

// ownedBy is an update check: the lease must still belong to owner.
func ownedBy(owner string) func(*leaseDoc) error {
	return func(d *leaseDoc) error {
		if string(d.Owner) != owner {
			return fmt.Errorf("%w: %s is owned by %q", errLeaseLost, d.LeaseToken, d.Owner)
		}
		return nil
	}
}

// statusOf returns the HTTP status of an SDK error, 0 for nil, -1 for others.
func statusOf(err error) int {
	if err == nil {
		return 0
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return -1
}
