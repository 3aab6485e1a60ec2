// Cross-partition queries that the JavaScript SDK runs from a query plan
// (x-ms-cosmos-is-query-plan-request): ORDER BY, aggregates, DISTINCT,
// OFFSET/LIMIT, TOP and GROUP BY across partitions, with the answers Azure
// Cosmos DB gives. The SDK asks for the plan (x-ms-cosmos-is-query-plan-request)
// after the gateway's cross-partition 400, then runs the rewritten query on
// every partition key range and merges.
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { newContainer, useDatabase } from "./helpers.mjs";

const planned = (name, fn) => it(name, fn);

describe("cross-partition queries with a query plan", () => {
  const ctx = useDatabase("plan");
  let container;
  before(async () => {
    container = await newContainer(ctx.database);
    // 20 items over 5 partition keys (spread over both physical ranges).
    for (let i = 0; i < 20; i++) {
      await container.items.create({ id: `i${i}`, pk: `p${i % 5}`, n: i, g: i % 3 === 0 ? "a" : "b" });
    }
  });
  const run = async (query, options = {}) => (await container.items.query(query, { maxItemCount: 3, ...options }).fetchAll()).resources;

  planned("ORDER BY across partitions, ascending and descending", async () => {
    assert.deepEqual((await run("SELECT c.n FROM c ORDER BY c.n")).map((r) => r.n), [...Array(20).keys()]);
    assert.deepEqual((await run("SELECT VALUE c.n FROM c ORDER BY c.n DESC")), [...Array(20).keys()].reverse());
  });

  planned("aggregates across partitions", async () => {
    assert.deepEqual(await run("SELECT VALUE COUNT(1) FROM c"), [20]);
    assert.deepEqual(await run("SELECT VALUE SUM(c.n) FROM c"), [190]);
    assert.deepEqual(await run("SELECT VALUE MIN(c.n) FROM c"), [0]);
    assert.deepEqual(await run("SELECT VALUE MAX(c.n) FROM c"), [19]);
    assert.deepEqual(await run("SELECT VALUE AVG(c.n) FROM c"), [9.5]);
    assert.deepEqual(await run("SELECT VALUE COUNT(1) FROM c WHERE c.n >= 100"), [0]);
  });

  planned("DISTINCT across partitions", async () => {
    assert.deepEqual((await run("SELECT DISTINCT VALUE c.g FROM c")).sort(), ["a", "b"]);
    assert.deepEqual(await run("SELECT DISTINCT VALUE c.g FROM c ORDER BY c.g"), ["a", "b"]);
  });

  planned("OFFSET LIMIT and TOP across partitions", async () => {
    assert.deepEqual(await run("SELECT VALUE c.n FROM c ORDER BY c.n OFFSET 5 LIMIT 4"), [5, 6, 7, 8]);
    assert.deepEqual(await run("SELECT TOP 3 VALUE c.n FROM c ORDER BY c.n DESC"), [19, 18, 17]);
    assert.equal((await run("SELECT TOP 7 * FROM c")).length, 7);
  });

  planned("GROUP BY across partitions", async () => {
    const rows = await run("SELECT c.g, COUNT(1) AS cnt, SUM(c.n) AS total FROM c GROUP BY c.g");
    rows.sort((x, y) => x.g.localeCompare(y.g));
    // a: n divisible by 3 (0,3,...,18): 7 items summing to 63; b: the other 13 (190 - 63 = 127).
    assert.deepEqual(rows, [
      { g: "a", cnt: 7, total: 63 },
      { g: "b", cnt: 13, total: 127 },
    ]);
  });
});
