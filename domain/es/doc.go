// Package es is the event-sourcing kernel of orderctx: interfaces, small value
// types and errors shared by aggregates, stores and consumers.
//
// It deliberately holds no storage or transport code, so that the domain can be
// tested without infrastructure and every adapter in infra can be swapped
// without touching an aggregate.
//
// The vocabulary:
//   - Payload: a typed domain event, named by a stable logical type such as
//     "order.placed" so that renaming a Go type never breaks stored events.
//   - Envelope: a decoded event (payload plus metadata) as the domain sees it.
//   - EncodedEvent: the same event with its payload as JSON, as a store keeps it.
//   - Registry: maps logical type names to payload types and upcasts old
//     schema versions, so the domain only ever sees the newest shape.
//   - Base: the bookkeeping part of an aggregate (stream id, version, pending
//     events, snapshots).
//   - Error: a domain error with a code, the rule that was violated and the
//     offending field, so that adapters can map it to a transport status.
package es
