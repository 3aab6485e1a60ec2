package servicebus

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// Test access to the unexported message building and batching.
var (
	ToMessage = toMessage
	// FullyQualifiedNamespace exposes the namespace completion.
	FullyQualifiedNamespace = Config.fullyQualifiedNamespace
)

// SendInBatches is sendInBatches over a test batch type.
func SendInBatches[B batch](ctx context.Context, msgs []*azservicebus.Message, max int,
	newBatch func(context.Context) (B, error), send func(context.Context, B) error) error {
	return sendInBatches(ctx, msgs, max, newBatch, send)
}
