// Package queryapi is the query side of orderctx: an echo v4 HTTP API that
// serves the orders' read models from memory.
//
// At start it reads the whole views container through its change feed into
// a readmodel.Model (indexes by id, placed date, total, status and buyer),
// then keeps following the feed; /readyz turns 200 once the initial load has
// caught up with the feed's head. Every instance reads everything, so it
// needs no lease, and any two instances (or one before and after a restart)
// converge to the same state.
//
// The contract is in docs/query-api.md. In short:
//   - GET /orders/{id} serves the view as the projector wrote it, with its
//     version as a strong ETag; ?minVersion=N waits briefly for the version a
//     command returned (read-your-writes); ?predict=true folds newer events
//     from the event store onto the view (Predictor);
//   - GET /orders filters, sorts and pages with opaque keyset cursors;
//     GET /orders/stats counts and sums by status and currency;
//   - GET /orders/{id}/events and GET /events are the audit log, read from
//     the event store (the latter through an index of the events feed);
//   - GET /live streams view changes as server-sent events, resumable with
//     Last-Event-ID;
//   - every error is an RFC 9457 problem in the command API's format.
package queryapi
