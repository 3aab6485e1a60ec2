// Package commandapi is the command side of orderctx over HTTP: an echo v4
// API (API) whose handlers turn requests into order commands and run them
// through a Store (domain/orderapp's Service: optimistic concurrency and
// idempotency on an es.EventStore).
//
// The HTTP contract, the error mapping and the idempotency design are in
// docs/command-api.md. In short:
//   - one handler per command, one file each (place_order.go, add_item.go, ...);
//   - bodies are strict JSON (unknown, duplicated or mistyped members are a
//     400 naming every field at fault, nesting beyond MaxBodyDepth is refused
//     before it costs anything), money is integer minor units in the order's
//     currency;
//   - every error is an RFC 9457 problem whose status is a lookup of its
//     error code in one table (problem.go); under Serve, so are the refusals
//     Go's HTTP server writes before any handler runs (infra/httpapi, shared
//     with the query API);
//   - execute validates every command before it reaches the store, so a
//     request that is invalid on its own is always a 400;
//   - Idempotency-Key becomes the command id stored on every event, so a retry
//     is recognised by the store itself and answered with the original result;
//   - If-Match pins the stream version (412 when stale); without it, a lost
//     race is retried by reloading and deciding again.
package commandapi
