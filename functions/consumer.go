// Package functions is the custom handler that runs the change feed
// consumers inside Azure Functions: `orderctx functions` serves one route per
// function folder of the app (POST /<FunctionName>), decodes the batch of
// Cosmos DB documents the host sends, hands it to that function's Consumer
// and answers so the host checkpoints the batch, or, on an error, retries it
// under the function's retry policy. `orderctx funchost` calls the same
// Handler in-process (see functions/invoke).
//
// Failure semantics: a Consumer's error is transient by contract: the reply
// is a 500, the invocation fails, and the function's retry policy delivers
// the same batch again while the lease waits. A document that can never be
// processed is the consumer's to park (dead letters); it then succeeds.
package functions

import (
	"context"
	"encoding/json"
	"log/slog"

	"orderctx/functions/protocol"
)

// Consumer processes one batch of change-feed documents, in feed order.
type Consumer interface {
	Handle(ctx context.Context, docs []json.RawMessage) (Result, error)
}

// Result tells the host what happened: log lines for the reply's Logs.
type Result struct{ Logs []string }

// ConsumerFunc adapts a function to Consumer.
type ConsumerFunc func(ctx context.Context, docs []json.RawMessage) (Result, error)

// Handle calls f.
func (f ConsumerFunc) Handle(ctx context.Context, docs []json.RawMessage) (Result, error) {
	return f(ctx, docs)
}

// Invocation is what the host said about the call a Consumer is handling:
// available from its context with InvocationFrom, for logs.
type Invocation struct {
	// ID is the host's invocation id (X-Azure-Functions-InvocationId); each
	// retry is a new invocation with a new id.
	ID string
	// Function is the function's (folder's) name.
	Function    string
	HostVersion string
	// Metadata holds sys (MethodName, UtcNow, RandGuid) and, on retries,
	// RetryContext.
	Metadata protocol.Metadata
}

// RetryCount is the retry this invocation is (0: the first attempt).
func (i Invocation) RetryCount() int {
	if i.Metadata.RetryContext == nil {
		return 0
	}
	return i.Metadata.RetryContext.RetryCount
}

// LogValue lets an Invocation be logged as one slog group.
func (i Invocation) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", i.ID), slog.String("function", i.Function), slog.Int("retry", i.RetryCount()))
}

type invocationKey struct{}

// InvocationFrom returns the invocation a consumer's context belongs to.
func InvocationFrom(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(*Invocation)
	if !ok {
		return Invocation{}, false
	}
	return *inv, true
}

func withInvocation(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}
