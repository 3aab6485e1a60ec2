package publisher

import (
	"context"
	"errors"
	"fmt"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher/contracts"
)

// Bus publishes integration messages.
type Bus interface {
	// Publish returns nil only when the broker has taken every message
	// (stored it, or recognised its id as a duplicate). It publishes messages
	// in the given order. Every error is transient: the caller retries the
	// whole batch and the broker drops the messages it already has.
	Publish(ctx context.Context, msgs []contracts.Message) error
}

// History loads an order's stream; es.EventStore satisfies it. The handler
// folds the stream up to the version of the event it maps, so the loader
// must return whole streams (or a snapshot no later than that version): the
// Cosmos DB event store with AcceptSnapshots returning false does.
type History interface {
	Load(ctx context.Context, streamID string) (es.Stream, error)
}

// DefaultCachedOrders is the default bound of the order cache: enough for the
// orders being edited at any one time, small in memory (an order holds at
// most order.MaxItems lines).
const DefaultCachedOrders = 4096

// Options configure a Handler; the zero value is usable.
type Options struct {
	// Contracts is the mapping; nil means contracts.OrdersV1().
	Contracts contracts.Table
	// CachedOrders bounds the order cache; 0 means DefaultCachedOrders.
	CachedOrders int
}

// Handler is the publisher's batch handler. Batches of different feed
// ranges may be handled concurrently; those of one range come one at a time.
type Handler struct {
	bus     Bus
	history History
	table   contracts.Table
	cache   *orderCache
}

// New returns a handler publishing through bus and loading state from history.
func New(bus Bus, history History, opts Options) (*Handler, error) {
	var problems []error
	if bus == nil {
		problems = append(problems, errors.New("publisher: nil Bus"))
	}
	if history == nil {
		problems = append(problems, errors.New("publisher: nil History"))
	}
	if opts.CachedOrders < 0 {
		problems = append(problems, fmt.Errorf("publisher: CachedOrders %d < 0", opts.CachedOrders))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if opts.Contracts == nil {
		opts.Contracts = contracts.OrdersV1()
	}
	if opts.CachedOrders == 0 {
		opts.CachedOrders = DefaultCachedOrders
	}
	return &Handler{bus: bus, history: history, table: opts.Contracts, cache: newOrderCache(opts.CachedOrders)}, nil
}

// Handle maps a batch of decoded events, in feed order, and publishes the
// messages in one Publish call. It returns an *UnmappableError for the first
// event that can never be published (having published nothing), and any
// other error as transient. Events under an internal rule are skipped.
func (h *Handler) Handle(ctx context.Context, events []es.Envelope) error {
	b := batch{h: h, orders: make(map[string]*order.Order)}
	msgs := make([]contracts.Message, 0, len(events))
	for i, e := range events {
		m, published, err := b.mapEvent(ctx, e)
		if p := (permanentError{}); errors.As(err, &p) {
			return &UnmappableError{Index: i, EventID: e.EventID, StreamID: e.StreamID, Version: e.Version, Type: e.Type, Cause: p.err}
		}
		if err != nil {
			return fmt.Errorf("publisher: event %d of the batch (%s@%d): %w", i, e.StreamID, e.Version, err)
		}
		if published {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 0 {
		if err := h.bus.Publish(ctx, msgs); err != nil {
			return fmt.Errorf("publisher: publish %d messages: %w", len(msgs), err)
		}
	}
	h.cache.put(b.orders)
	return nil
}
