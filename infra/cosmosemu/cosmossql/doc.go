// Package cosmossql parses and evaluates the subset of the Azure Cosmos DB
// for NoSQL query language that the embedded Cosmos-compatible server needs.
//
// A query is parsed once with [Parse] and run with [Query.Run] over the
// documents of one logical or physical partition. Values are the ones
// encoding/json produces when it decodes into any: map[string]any, []any,
// string, float64, bool and nil. Results may share structure with the input
// documents (SELECT * returns the documents themselves), so callers must not
// mutate them while they are still in use.
//
// # Supported language
//
//	SELECT [DISTINCT] [TOP n] (* | VALUE expr | expr [AS alias], ...)
//	[FROM <container> [[AS] alias]]
//	[WHERE expr]
//	[GROUP BY expr, ...]
//	[ORDER BY path [ASC|DESC], ...]
//	[OFFSET n LIMIT m]
//
// Expressions: property paths (c.a.b, c["a"], c.items[0], c[@p]), literals
// (numbers, 'single' and "double" quoted strings, true, false, null,
// undefined), parameters (@name), array and object literals, unary - + NOT,
// * / % + - || (string concatenation), comparisons = != <> < <= > >=,
// [NOT] IN (...), [NOT] BETWEEN x AND y, AND, OR, the coalesce operator ??,
// the type checks IS_DEFINED, IS_NULL, IS_STRING, IS_NUMBER, IS_BOOL,
// IS_ARRAY, IS_OBJECT, IS_PRIMITIVE, the functions ARRAY_CONTAINS,
// ARRAY_LENGTH, STARTSWITH, ENDSWITH, CONTAINS, LOWER, UPPER, LENGTH, CONCAT,
// SUBSTRING, ABS, FLOOR, CEILING, and the aggregates COUNT, SUM, MIN, MAX,
// AVG. Line comments (-- to end of line) are allowed, as on the hosted
// service. Everything else (JOIN, FROM x IN y, subqueries, EXISTS, ARRAY(),
// LIKE, the ternary operator, bitwise operators, user-defined functions, the
// remaining system functions, ORDER BY RANK, block comments) is refused with
// an [*Error] that names the construct, never evaluated approximately.
//
// # Semantics and the choices behind them
//
// The rules follow the Cosmos DB for NoSQL query reference and the
// open-source Cosmos SDK query pipeline:
//
//   - Comparisons between values of different types, with undefined, or with
//     < <= > >= between two arrays or two objects, are undefined. Equality
//     (= and its negation != / <>) compares arrays and objects deeply.
//   - AND, OR and NOT use three-valued logic (true, false, undefined); an
//     operand that is not a boolean counts as undefined. WHERE keeps a
//     document only when the condition is exactly true. x IN (a, b) behaves as
//     x = a OR x = b, and x BETWEEN a AND b as x >= a AND x <= b.
//   - NOT is a unary operator that binds tighter than comparisons, as in the
//     service grammar: NOT c.a = 1 means (NOT c.a) = 1. Write NOT (c.a = 1).
//   - Arithmetic on anything but numbers is undefined; so is a result that is
//     not finite. Division or modulo by zero is an error, as the hosted
//     service answers it with HTTP 400 (error code 4001).
//   - ORDER BY accepts property paths only and sorts across types in the
//     order undefined < null < false < true < numbers < strings < arrays <
//     objects. Documents whose sort property is undefined are kept (current
//     service behaviour) and come first in ascending order. Strings compare by
//     UTF-16 code units (ordinal). Arrays and objects, which the service
//     orders by an internal hash, are ordered structurally here; that order is
//     deterministic but need not match the service. Ties keep input order,
//     reversed when the first key is DESC (the service scans its index
//     backwards).
//   - Aggregates ignore undefined arguments. COUNT of nothing is 0 and SUM of
//     nothing is 0; AVG, MIN and MAX of nothing are undefined, so
//     SELECT VALUE MAX(c.x) yields [] and SELECT MAX(c.x) yields [{}]. SUM and
//     AVG are undefined when any argument is not a number; MIN and MAX are
//     undefined when any argument is an array or an object, and otherwise
//     compare across types with null < booleans < numbers < strings.
//   - Unaliased projections are named after the last property of a path
//     (c.a.b is "b", c["x y"] is "x y"); other expressions, including paths
//     that end in an array index, are named $1, $2, ... in order. Two
//     projections with the same name are an error. An undefined projection
//     is omitted from its object; an undefined SELECT VALUE result is skipped.
//   - An undefined element of an array literal becomes null (as measured on
//     the hosted service); an undefined property of an object literal is
//     omitted.
//   - TOP, OFFSET and LIMIT take non-negative integers, as literals or
//     parameters. TOP together with OFFSET LIMIT is refused because the order
//     in which the service applies them is not documented.
//   - GROUP BY cannot be combined with ORDER BY (as on the service); groups
//     are returned in order of first appearance.
//   - A parameter that the query references but the caller did not supply is
//     an error. (The hosted service treats it as undefined instead; the
//     server layer chose the stricter behaviour.)
//   - Result objects are map[string]any, so encoding/json writes their keys
//     sorted rather than in SELECT-list order as the service does.
//
// # Query plans
//
// [Query.Plan] answers what the Cosmos DB gateway's query plan says about a
// query to SDKs that merge cross-partition results themselves: the sort
// orders and keys, counts, groups, aggregates, the distinct type and the
// query each partition key range runs, rewritten in the gateway's canonical
// spelling (ORDER BY with _rid, orderByItems, payload and the
// [OrderByFilter] placeholder; aggregates as partial results; GROUP BY with
// groupByItems). The rewritten queries are themselves in the supported
// language, so the server runs them like any other.
package cosmossql
