package commandapi

import (
	"context"

	"orderctx/domain/order"
)

// Store is the command side's port to the event store. It keeps the
// transaction in the adapter and the decision in the domain: Update loads the
// order, lets decide record events, and appends them atomically.
type Store interface {
	// Update runs one command against an order. It loads the order (latest
	// snapshot plus the events after it), calls decide, and appends every event
	// decide recorded in one atomic batch at the loaded version.
	//
	// Errors (inspect with es.ErrorCode / errors.Is):
	//   - whatever decide returns, unchanged (domain errors: invalid, not found,
	//     precondition, conflict), and nothing is appended;
	//   - es.Precondition with rule es.RuleStaleVersion when opts.ExpectedVersion
	//     is set and the stream is at another version;
	//   - es.ErrConcurrency (wrapped) when another writer appended first and
	//     the retries allowed by opts are used up (no retries when ExpectedVersion is set);
	//   - es.Conflict with rule es.RuleCommandReused when opts.CommandID already
	//     committed on this stream with a different opts.RequestHash;
	//   - es.Unavailable with rule es.RuleStoreUnavailable when the store cannot be reached.
	//
	// When opts.CommandID already committed on this stream with the same
	// RequestHash, Update appends nothing, does not call decide, and returns
	// the original result with Replayed set.
	//
	// With an error, the result carries only RequestCharge: what the failed
	// attempts cost, for logs.
	Update(ctx context.Context, orderID string, opts UpdateOptions, decide func(o *order.Order) error) (UpdateResult, error)
	// Ready reports whether the store can be reached (nil when it can).
	Ready(ctx context.Context) error
}

// UpdateOptions carry what the store needs besides the decision.
type UpdateOptions struct {
	// ExpectedVersion pins the stream version the command was decided on
	// (If-Match); nil means "whatever is current", with automatic retries.
	ExpectedVersion *int64
	// CommandID identifies the command for idempotency (from Idempotency-Key,
	// or generated). It is stored on every event the command produced.
	CommandID string
	// RequestHash fingerprints the request (method, path, body) so a reused
	// CommandID with a different request is refused instead of replayed.
	RequestHash string
	// CorrelationID and CausationID are stored in every event's metadata.
	CorrelationID string
	CausationID   string
	// MaxRetries bounds reload-and-decide-again rounds on a concurrency
	// conflict when ExpectedVersion is nil (0 means the store's default).
	MaxRetries int
}

// UpdateResult is what a committed (or replayed) command produced.
type UpdateResult struct {
	OrderID  string
	Version  int64    // the stream version after the command
	EventIDs []string // ids of the events the command appended, in order
	Replayed bool     // true when an earlier identical command's result was returned
	// RequestCharge is the store's cost of the command (Cosmos DB RU), for logs.
	RequestCharge float64
}
