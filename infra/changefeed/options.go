package changefeed

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
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// Handler processes one batch of one feed range. It is called for different
// ranges at the same time, but for one range one batch at a time, in feed
// order. Returning nil checkpoints the batch; an error delivers the same
// position again after a back-off. ctx is cancelled when the lease is lost
// or the processor stops abruptly; the handler should then return soon, as
// Run waits for it.
type Handler func(ctx context.Context, b Batch) error

// Batch is what one handler call receives.
type Batch struct {
	// LeaseToken names the feed range: "<min>-<max>" of its effective
	// partition keys.
	LeaseToken string
	// Documents are the changed documents as the feed returned them, in feed
	// order (write order within a partition key).
	Documents []json.RawMessage
	// Attempt counts deliveries of this position: 1, then 2 after a failure...
	Attempt int
}

// Defaults, those of the Azure Functions Cosmos DB trigger (function.json).
const (
	DefaultMaxItemsPerInvocation   = 100
	DefaultFeedPollDelay           = 5 * time.Second
	DefaultLeaseAcquireInterval    = 13 * time.Second
	DefaultLeaseExpirationInterval = 60 * time.Second
	DefaultLeaseRenewInterval      = 17 * time.Second
	DefaultRetryBackoff            = 1 * time.Second
	DefaultMaxRetryBackoff         = 1 * time.Minute
)

// MaxItemsLimit is the largest batch the processor asks for (the page size
// the embedded server serves at most).
const MaxItemsLimit = 10000

// Options configure a Processor. Durations left zero take the defaults.
type Options struct {
	// Monitored is the container whose change feed is read (required).
	Monitored *azcosmos.ContainerClient
	// Leases is the lease container, partitioned on /id (required; it must
	// exist: the processor creates documents in it, never the container).
	Leases *azcosmos.ContainerClient
	// Handler processes the batches (required).
	Handler Handler
	// Prefix starts every lease id (function.json leaseContainerPrefix), so
	// several consumers of one feed keep separate leases in one container.
	Prefix string
	// Owner names this instance in the leases; instances sharing a prefix
	// must have different names. Default: host name, process id, random.
	Owner string
	// MaxItemsPerInvocation is the largest batch (default 100, at most 10,000).
	MaxItemsPerInvocation int
	// StartFromBeginning makes ranges without a checkpoint start at the
	// beginning of the feed instead of its end (now).
	StartFromBeginning bool
	// StartFromTime makes ranges without a checkpoint start at changes made
	// at or after this time; not together with StartFromBeginning.
	StartFromTime time.Time
	// FeedPollDelay is the wait after a range had nothing new (default 5 s).
	FeedPollDelay time.Duration
	// MaxFeedPollDelay, when longer than FeedPollDelay, lets the wait double
	// with every further read that finds nothing, up to this; the first
	// change found brings it back to FeedPollDelay. Default: FeedPollDelay
	// (a fixed delay, as the Functions trigger polls).
	MaxFeedPollDelay time.Duration
	// BatchDelay is the wait after delivering a page shorter than
	// MaxItemsPerInvocation, before reading again: under a steady load the
	// next batch then holds what arrived during the wait as well as during
	// the delivery, so the per-batch work (the read, the handler's
	// per-batch lookups, the checkpoint) is paid for more events. It adds
	// at most this to a change's delay. Default 0: read again at once.
	BatchDelay time.Duration
	// LeaseAcquireInterval is how often the leases are balanced (default 13 s).
	LeaseAcquireInterval time.Duration
	// LeaseExpirationInterval is how long a lease stays with an owner that
	// stopped renewing it (default 60 s).
	LeaseExpirationInterval time.Duration
	// LeaseRenewInterval is how often held leases are renewed (default 17 s).
	LeaseRenewInterval time.Duration
	// RetryBackoff is the first wait before a failed batch is delivered again
	// (default 1 s); it doubles with each failure up to MaxRetryBackoff (1 min).
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// Acquired, when set, is called with the lease token each time this
	// instance acquires a lease, before the lease's first batch is read:
	// a handler that keeps what it learnt about the range's streams (the
	// consumers' knowledge that nothing is parked) drops it there, since
	// another instance may have processed the range meanwhile.
	Acquired func(leaseToken string)
	// Log receives the processor's events (default: discarded).
	Log *slog.Logger
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.MaxItemsPerInvocation == 0 {
		o.MaxItemsPerInvocation = DefaultMaxItemsPerInvocation
	}
	def(&o.FeedPollDelay, DefaultFeedPollDelay)
	o.MaxFeedPollDelay = max(o.MaxFeedPollDelay, o.FeedPollDelay)
	def(&o.LeaseAcquireInterval, DefaultLeaseAcquireInterval)
	def(&o.LeaseExpirationInterval, DefaultLeaseExpirationInterval)
	def(&o.LeaseRenewInterval, DefaultLeaseRenewInterval)
	def(&o.RetryBackoff, DefaultRetryBackoff)
	def(&o.MaxRetryBackoff, DefaultMaxRetryBackoff)
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports every problem of the options (zero durations and batch
// size count as their defaults).
func (o Options) Validate() error { return o.withDefaults().check() }

// check reports every problem of options already defaulted.
func (o Options) check() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if o.Monitored == nil {
		bad("Monitored: the monitored container is required")
	}
	if o.Leases == nil {
		bad("Leases: the lease container is required")
	}
	if o.Handler == nil {
		bad("Handler: a handler is required")
	}
	if o.MaxItemsPerInvocation < 1 || o.MaxItemsPerInvocation > MaxItemsLimit {
		bad("MaxItemsPerInvocation: %d is not between 1 and %d", o.MaxItemsPerInvocation, MaxItemsLimit)
	}
	if o.StartFromBeginning && !o.StartFromTime.IsZero() {
		bad("StartFromTime: only one of StartFromBeginning and StartFromTime can be set")
	}
	for name, d := range map[string]time.Duration{"FeedPollDelay": o.FeedPollDelay, "BatchDelay": o.BatchDelay,
		"LeaseAcquireInterval": o.LeaseAcquireInterval, "LeaseExpirationInterval": o.LeaseExpirationInterval,
		"LeaseRenewInterval": o.LeaseRenewInterval, "RetryBackoff": o.RetryBackoff, "MaxRetryBackoff": o.MaxRetryBackoff} {
		if d < 0 {
			bad("%s: %v is negative", name, d)
		}
	}
	if o.LeaseRenewInterval >= o.LeaseExpirationInterval {
		bad("LeaseRenewInterval: %v must be shorter than LeaseExpirationInterval %v, or held leases expire", o.LeaseRenewInterval, o.LeaseExpirationInterval)
	}
	if o.MaxRetryBackoff < o.RetryBackoff {
		bad("MaxRetryBackoff: %v is shorter than RetryBackoff %v", o.MaxRetryBackoff, o.RetryBackoff)
	}
	return errors.Join(errs...)
}

// defaultOwner is "<host>-<pid>-<random>": unique per process and start.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}
