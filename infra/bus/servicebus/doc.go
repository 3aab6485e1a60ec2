// Package servicebus publishes integration messages to an Azure Service Bus
// topic through the azservicebus SDK: the bus of orderctx in Azure. (The
// Functions serviceBus output binding cannot set a message id for a custom
// handler, so the publisher sends itself.)
//
// Each message carries MessageId = source event id (the topic's duplicate
// detection drops a message sent again within its window), Subject = contract
// name, SessionId = order id (session-enabled subscriptions receive each
// order's messages in order), CorrelationId, content type application/json,
// and application properties eventType, orderId, causationId, streamVersion
// and occurredAt. Messages are sent in order, in as few batches as the
// topic's size limit allows.
package servicebus
