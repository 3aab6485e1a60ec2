// Package order is the Order aggregate of orderctx: commands, the rules they
// enforce, and the events they record.
//
// An order is placed (status submitted), may gain and lose items until it is
// paid in full, is then shipped; it may be cancelled until it ships. Shipped
// and cancelled are final.
//
// Each command is a struct with a Validate method (for the checks that need no
// state, all reported at once) and an *Order method that validates, checks the
// order's state and records exactly one event. Errors are *es.Error values:
//   - Invalid: a value is unacceptable on its own (Validate finds every one
//     of them without the order). The Field is the JSON path of the value,
//     such as "items[2].quantity".
//   - NotFound: the order has not been placed, or the product is not in it.
//   - Conflict: PlaceOrder for an id that exists.
//   - Rejected: the command is well formed but the order's current state
//     forbids it: its status (RuleNotPaid when shipping), or its data (the
//     payment amount against the total, the unit price of an existing line,
//     a merged quantity, a full order, a total above MaxAmount).
//
// Decisions:
//   - Initial items are part of the order.placed event.
//   - Adding a product that is in the order merges the lines: quantities and
//     discounts add up. A different unit price is rejected
//     (RuleUnitPriceMismatch); the line keeps its first name.
//   - PlaceOrder rejects the same product twice in its items (RuleDuplicateItem).
//   - Removing an unknown product is NotFound (RuleItemNotFound).
//   - Money is int64 minor units; every amount is at most MaxAmount (2^53-1),
//     and products and sums are overflow-checked.
//   - A cancellation of a paid order carries refundDue (the paid amount).
//   - Order ids, buyer ids and product ids are 1 to MaxIDLength ASCII
//     [A-Za-z0-9-_.:], not made only of dots, because they appear in URLs
//     (where "." and ".." are removed by normalisation) and Cosmos DB ids;
//     the stream id is "order-" + id.
//   - Time comes from the caller (now), stored in UTC, so replays and tests are
//     deterministic.
package order
