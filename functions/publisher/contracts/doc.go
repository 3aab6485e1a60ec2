// Package contracts defines the public integration events of orders: their
// names, their JSON payloads and the message envelope around them, and the
// explicit mapping from domain events to them.
//
// A contract is what other teams build on, so it changes more slowly than the
// domain: names are versioned ("orders.v1.OrderPlaced"), fields have stable
// JSON names chosen here (never Go type names or domain event type names), and
// amounts are integer minor units with their currency. Within v1 fields may
// only be added; removing or changing the meaning of a field needs a v2,
// published next to v1 for as long as subscribers need it. Each contract has
// a JSON Schema (draft 2020-12) under docs/contracts/, and the contract test
// checks every generated message against it and against golden examples.
//
// The mapping is pure: Table.Map turns one decoded domain event (plus, for
// contracts that carry the order's state, that state after the event) into
// one Message, or reports that the event is internal and not published.
package contracts
