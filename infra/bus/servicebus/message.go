package servicebus

import (
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"orderctx/functions/publisher/contracts"
)

// Application property names of a message.
const (
	PropEventType     = "eventType" // the contract name, for subscription filters
	PropOrderID       = "orderId"
	PropCausationID   = "causationId"
	PropStreamVersion = "streamVersion" // int64
	PropOccurredAt    = "occurredAt"    // RFC 3339 with nanoseconds, UTC (as the NATS header)
)

// toMessage is the Service Bus form of a message.
func toMessage(m contracts.Message) *azservicebus.Message {
	props := map[string]any{
		PropEventType:     m.Contract,
		PropOrderID:       m.OrderID,
		PropStreamVersion: m.StreamVersion,
		PropOccurredAt:    m.OccurredAt.UTC().Format(time.RFC3339Nano),
	}
	if m.CausationID != "" {
		props[PropCausationID] = m.CausationID
	}
	out := &azservicebus.Message{
		MessageID:             ptr(m.ID),
		Subject:               ptr(m.Contract),
		SessionID:             ptr(m.OrderID),
		ContentType:           ptr(contracts.ContentType),
		ApplicationProperties: props,
		Body:                  m.Body,
	}
	if m.CorrelationID != "" {
		out.CorrelationID = ptr(m.CorrelationID)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
