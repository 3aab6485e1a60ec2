package commandapi

import (
	"context"

	"orderctx/domain/order"
	"orderctx/domain/orderapp"
)

// Store is the command side's port to the application service
// (orderapp.Service implements it; tests substitute failing stores). It keeps the
// transaction in the adapter and the decision in the domain: Update loads the
// order, lets decide record events, and appends them atomically.
type Store interface {
	// Update runs one command against an order, with the contract of
	// orderapp.Service.Update (errors, idempotent replays).
	Update(ctx context.Context, orderID string, opts orderapp.UpdateOptions, decide func(o *order.Order) error) (orderapp.UpdateResult, error)
	// Ready reports whether the store can be reached (nil when it can).
	Ready(ctx context.Context) error
}
