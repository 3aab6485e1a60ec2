// Package check verifies a whole orderctx store against itself: every event
// stream gap-free with unique event ids, every order view (in the views
// container and in any copy) equal to the fold of its stream, every snapshot
// equal to the fold of the events it summarises, every event published
// exactly once on the integration-event stream, and the events consumers
// parked listed with their reasons (expected gaps, not differences).
//
// It reads through small ports (Feed, Bus) and does no I/O of its own;
// infra/feedreader and infra/bus/natsbus provide them, functions/verify wires
// them. The fold is the domain's: each order stream is replayed through the
// order aggregate in feed order (a stream's events come in write order, which
// is version order), as the projector and the write side do, and views are
// made with orderview.FromState.
//
// Memory: per event 32 bytes (id, stream, version, time, type), per stream
// its state and the order folded so far; see docs/verify.md for measured
// numbers.
package check
