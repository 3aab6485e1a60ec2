// Package publisher is the integration-event publisher: a change-feed batch
// handler that maps decoded domain events to the public contracts of package
// contracts and publishes them through a Bus (NATS JetStream locally, Azure
// Service Bus in Azure; both in infra/bus).
//
// Guarantees, given a Bus that de-duplicates by message id:
//   - Every order event becomes exactly one message whose id is the event id,
//     so a batch delivered again (after a crash, a retry) is dropped by the
//     broker instead of published twice.
//   - Messages of one order are published in stream order; the order id is
//     the ordering key.
//   - Nothing is dropped silently: an event with no publishing rule or that
//     cannot be mapped is reported as an *UnmappableError (the caller parks
//     it); every other failure is transient and returned as is, so the batch
//     is retried while the lease waits. Handle publishes nothing when it
//     returns an error it found while mapping.
//
// OrderChanged carries the order's items and total after the edit, which an
// item event does not hold. The handler keeps the orders it has seen in a
// bounded cache and folds each event onto them; on a miss it loads the
// stream through History. Only OrderChanged needs state, so catching up on
// placements, payments, shipments and cancellations reads nothing.
package publisher

// Name is the publisher's persistent consumer name: its partition in the
// deadletters container. It must never change while letters exist.
const Name = "publisher"
