package functions

import (
	"context"
	"encoding/json"
)

// Consumer processes one batch of change-feed documents, in feed order.
type Consumer interface {
	Handle(ctx context.Context, docs []json.RawMessage) (Result, error)
}

// Result tells the host what happened: log lines for the reply's Logs.
type Result struct{ Logs []string }
