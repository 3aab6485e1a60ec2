// Package changefeed is a lease-based change feed processor on azcosmos: the
// part of `orderctx funchost` that plays the Azure Functions host's Cosmos DB
// trigger outside Azure. It keeps one lease per feed range of the monitored
// container in a lease container (documents shaped like the .NET change feed
// processor's), shares the leases out among the instances that use the same
// prefix, takes over the leases of an instance that stopped renewing them,
// hands a split range's lease on to its children, and delivers each range in
// feed order to a handler, checkpointing a batch only after the handler
// accepted it. docs/change-feed-processor.md describes the design.
package changefeed
