// Package store is the storage engine of the embedded Cosmos DB-compatible
// server: databases, containers, items, atomic batches, partition key ranges
// and the change feed, kept in memory and made durable through a write-ahead
// log with group commit that is itself the store, compacted into snapshots
// (wal.go).
//
// It reads no requests and writes no responses, but it speaks Cosmos DB's
// error vocabulary, which is HTTP's: an operation that fails for a reason a
// client must hear returns an *Error holding the HTTP status, sub-status and
// code Cosmos DB answers with, because a batch reports each operation's
// outcome in exactly those terms. The server package writes them unchanged.
package store
