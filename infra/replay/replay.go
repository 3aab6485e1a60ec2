// Package replay reads a container's change feed from its beginning for a
// one-off consumer, such as a rebuild of a read model: the lease-based
// processor of infra/changefeed under a lease prefix of the caller's, so the
// position is stored in the leases container after every accepted batch and
// an interrupted replay resumes where it stopped. It reports its progress
// (documents processed, an estimate of those left, caught up or not) and
// removes its leases when the caller is done, without showing an SDK type.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/changefeed"
	"orderctx/infra/cosmosdb"
)

// Defaults of Options: a replay catches up on a backlog, so it asks for
// large pages and polls a caught-up feed often (it then keeps up with new
// changes until the caller stops it).
const (
	DefaultMaxItems  = 500
	DefaultPollDelay = 50 * time.Millisecond
	// DefaultLeaseExpiration is shorter than the trigger's 60 s, so that a
	// replay whose process was killed is resumed by the next one soon.
	DefaultLeaseExpiration = 20 * time.Second
)

// Options configure a Replay.
type Options struct {
	// Container is the container whose feed is read (e.g. cosmosdb.Events).
	Container string
	// Prefix keeps this replay's leases apart from every other consumer's
	// (e.g. "rebuild.views-2."); no other consumer's prefix may start with it.
	Prefix string
	// Handle processes a batch; nil checkpoints it, an error delivers it
	// again after a back-off. Batches of one feed range come one at a time,
	// in feed order; different ranges are handled concurrently.
	Handle func(ctx context.Context, docs []json.RawMessage) error
	// MaxItems is the largest batch (default DefaultMaxItems).
	MaxItems int
	// PollDelay is the wait after a read that found nothing (default DefaultPollDelay).
	PollDelay time.Duration
	// LeaseExpiration is how long the leases of a stopped replay stay taken
	// (default DefaultLeaseExpiration).
	LeaseExpiration time.Duration
	// Owner names this process in the leases (default: the processor's).
	Owner string
	Log   *slog.Logger
}

// Replay is a running replay.
type Replay struct {
	p      *changefeed.Processor
	leases *azcosmos.ContainerClient
	prefix string
}

// New returns a replay of o.Container's feed on conn; Run starts it.
func New(conn *cosmosdb.Conn, o Options) (*Replay, error) {
	if o.Container == "" || o.Prefix == "" || o.Handle == nil {
		return nil, errors.New("replay: a container, a lease prefix and a handler are required")
	}
	if o.MaxItems == 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.PollDelay == 0 {
		o.PollDelay = DefaultPollDelay
	}
	if o.LeaseExpiration == 0 {
		o.LeaseExpiration = DefaultLeaseExpiration
	}
	handle := o.Handle
	p, err := changefeed.New(changefeed.Options{
		Monitored: conn.Container(o.Container), Leases: conn.Container(cosmosdb.Leases),
		Prefix: o.Prefix, Owner: o.Owner, MaxItemsPerInvocation: o.MaxItems, StartFromBeginning: true,
		FeedPollDelay: o.PollDelay, LeaseExpirationInterval: o.LeaseExpiration,
		LeaseRenewInterval: o.LeaseExpiration / 4, LeaseAcquireInterval: o.LeaseExpiration / 4,
		RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: 10 * time.Second, Log: o.Log,
		Handler: func(ctx context.Context, b changefeed.Batch) error { return handle(ctx, b.Documents) },
	})
	if err != nil {
		return nil, fmt.Errorf("replay of %s: %w", o.Container, err)
	}
	return &Replay{p: p, leases: conn.Container(cosmosdb.Leases), prefix: o.Prefix}, nil
}

// Run reads the feed until Shutdown (nil) or until ctx ends (an abrupt
// stop: the leases stay taken until they expire).
func (r *Replay) Run(ctx context.Context) error { return r.p.Run(ctx) }

// Shutdown finishes the batches in hand, checkpoints them and releases the
// leases, so the next replay with the prefix resumes at once.
func (r *Replay) Shutdown(ctx context.Context) error { return r.p.Shutdown(ctx) }

// Progress is where a replay stands.
type Progress struct {
	// Leases is the number of feed ranges, Held how many this process runs.
	Leases, Held int
	// Processed counts the documents accepted since this process started.
	Processed int64
	// Behind estimates the documents left (an upper bound on the embedded
	// store, whose sequence numbers count the changes of other ranges too).
	Behind int64
	// CaughtUpAt is, when every range is held and none has work in hand,
	// the earliest moment a range last found nothing new: every change made
	// before it has been processed. Zero otherwise.
	CaughtUpAt time.Time
	// Failures counts failed reads and batches since the last success.
	Failures int
}

// CaughtUp reports whether every range has found nothing new.
func (p Progress) CaughtUp() bool { return !p.CaughtUpAt.IsZero() }

// Progress reports the replay's progress now.
func (r *Replay) Progress() Progress {
	st := r.p.Stats()
	out := Progress{Leases: len(st.Leases)}
	caughtUp := len(st.Leases) > 0
	for _, l := range st.Leases {
		if !l.Held {
			caughtUp = false
			continue
		}
		out.Held++
		out.Processed += l.Processed
		out.Behind += l.LagEvents
		out.Failures += l.Failures
		if l.CaughtUpAt.IsZero() {
			caughtUp = false
		} else if out.CaughtUpAt.IsZero() || l.CaughtUpAt.Before(out.CaughtUpAt) {
			out.CaughtUpAt = l.CaughtUpAt
		}
	}
	if !caughtUp {
		out.CaughtUpAt = time.Time{}
	}
	return out
}

// DeleteLeases removes every lease document of prefix (the ranges' leases
// and the processor's marker), once the replay is over for good; it returns
// how many it removed. The replay must not be running.
func DeleteLeases(ctx context.Context, conn *cosmosdb.Conn, prefix string) (int, error) {
	leases := conn.Container(cosmosdb.Leases)
	pager := leases.NewQueryItemsPager("SELECT c.id FROM c WHERE STARTSWITH(c.id, @prefix)", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{QueryParameters: []azcosmos.QueryParameter{{Name: "@prefix", Value: prefix}}})
	var ids []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, cosmosdb.Translate(err, "list the leases of "+prefix)
		}
		for _, raw := range page.Items {
			var d struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return 0, fmt.Errorf("lease listing: %w", err)
			}
			ids = append(ids, d.ID)
		}
	}
	for _, id := range ids {
		_, err := leases.DeleteItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
		if err != nil && cosmosdb.StatusCode(err) != http.StatusNotFound {
			return 0, cosmosdb.Translate(err, "delete lease "+id)
		}
	}
	return len(ids), nil
}
