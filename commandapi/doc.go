// Package commandapi is the command side of orderctx: an application service
// (Service) that runs order commands against an es.EventStore with optimistic
// concurrency and idempotency, and an echo v4 HTTP API (API) in front of it.
//
// The HTTP contract, the error mapping and the idempotency design are in
// docs/command-api.md. In short:
//   - one handler per command, one file each (place_order.go, add_item.go, ...);
//   - bodies are strict JSON (unknown, duplicated or mistyped members are a
//     400 naming every field at fault, nesting beyond MaxBodyDepth is refused
//     before it costs anything), money is integer minor units in the order's
//     currency;
//   - every error is an RFC 9457 problem built in one place (problem.go);
//     under Serve, so are the refusals Go's HTTP server writes before any
//     handler runs (protocol.go);
//   - Idempotency-Key becomes the command id stored on every event, so a retry
//     is recognised by the store itself and answered with the original result;
//   - If-Match pins the stream version (412 when stale); without it, a lost
//     race is retried by reloading and deciding again.
package commandapi
