// Package natsbus publishes integration messages to NATS JetStream: the
// local bus of orderctx. It can start an embedded NATS server (JetStream on,
// durable file storage, listening on 127.0.0.1:4222 by default so that any
// NATS client or the nats CLI can subscribe) or connect to an external one
// (NATS_URL).
//
// Messages go to the stream ORDERS (subjects orders.v1.>, created or updated
// idempotently on open) with the contract name as subject and the event id
// as Nats-Msg-Id, so JetStream drops a message published again within the
// stream's duplicate window (24 h by default; see Config.DuplicateWindow for
// the bound). Publishes are asynchronous and a batch waits for every ack.
//
// Durability: a stored message is acknowledged after it is written to the
// stream's file (it survives kill -9 of the process); it reaches the disk on
// the server's sync interval (2 minutes) unless Config.SyncAlways asks for an
// fsync before every ack, which a machine crash needs.
package natsbus
