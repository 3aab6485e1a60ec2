// Package orderview is the read model of an order: the document the projector
// writes to the views container and the query API serves unchanged, one per
// order.
//
// A view is always the fold of its stream. The fold is the domain's own: Apply
// restores the order from the view (a View holds everything order.State
// holds, so the conversion is exact both ways), replays the new events through
// order.FromSnapshot, which runs the aggregate's apply, and converts the
// resulting state back. Nothing here re-implements what an event means, so the
// read side cannot drift from the write side; the cost is one JSON round trip
// of the state per Apply, however many events it applies.
//
// The document's vocabulary is the command API's: money is an integer number
// of minor units in the order's currency (given once, in currency), and the
// statuses are submitted, paid, shipped and cancelled.
//
// It imports only the standard library and the domain.
package orderview
