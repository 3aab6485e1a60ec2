// Queries that need no query plan: single-partition queries (the
// partitionKey option) with parameters, and filters across partitions that
// the gateway streams range by range. Cross-partition ORDER BY, aggregates,
// DISTINCT, OFFSET/LIMIT and GROUP BY are in queryplan.test.mjs.
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { newContainer, statusOf, useDatabase } from "./helpers.mjs";

describe("queries", () => {
  const ctx = useDatabase("query");
  let container;
  before(async () => {
    container = await newContainer(ctx.database);
    for (let i = 0; i < 12; i++) {
      await container.items.create({ id: `q${i}`, pk: `p${i % 3}`, n: i, tags: i % 2 ? ["odd"] : ["even"], nested: { k: `k${i}` } });
    }
  });

  it("runs a parameterized query in one partition", async () => {
    const { resources } = await container.items
      .query(
        { query: "SELECT * FROM c WHERE c.n >= @min AND ARRAY_CONTAINS(c.tags, @tag)", parameters: [{ name: "@min", value: 3 }, { name: "@tag", value: "odd" }] },
        { partitionKey: "p1" },
      )
      .fetchAll();
    // p1 holds n = 1, 4, 7, 10; odd and >= 3: 7.
    assert.deepEqual(resources.map((r) => r.id), ["q7"]);
  });

  it("orders, projects and pages within one partition", async () => {
    const iterator = container.items.query("SELECT c.id, c.n FROM c ORDER BY c.n DESC", { partitionKey: "p0", maxItemCount: 2 });
    const pages = [];
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      if (resources.length) pages.push(resources);
    }
    assert.deepEqual(pages.flat().map((r) => r.n), [9, 6, 3, 0]);
    assert.equal(pages.length, 2);
    assert.deepEqual(Object.keys(pages[0][0]).sort(), ["id", "n"]);
  });

  it("computes aggregates, TOP, DISTINCT and OFFSET LIMIT within one partition", async () => {
    const one = async (query) => (await container.items.query(query, { partitionKey: "p2" }).fetchAll()).resources;
    assert.deepEqual(await one("SELECT VALUE COUNT(1) FROM c"), [4]);
    assert.deepEqual(await one("SELECT VALUE SUM(c.n) FROM c"), [2 + 5 + 8 + 11]);
    assert.deepEqual(await one("SELECT TOP 1 VALUE c.n FROM c ORDER BY c.n"), [2]);
    assert.deepEqual((await one("SELECT DISTINCT VALUE c.tags[0] FROM c")).sort(), ["even", "odd"]);
    assert.deepEqual(await one("SELECT VALUE c.n FROM c ORDER BY c.n OFFSET 1 LIMIT 2"), [5, 8]);
  });

  it("streams a filter across partitions without a partition key", async () => {
    const { resources } = await container.items
      .query({ query: "SELECT * FROM c WHERE c.nested.k = @k", parameters: [{ name: "@k", value: "k5" }] })
      .fetchAll();
    assert.deepEqual(resources.map((r) => r.id), ["q5"]);
    const all = await container.items.query("SELECT c.id FROM c WHERE c.n > 8").fetchAll();
    assert.deepEqual(all.resources.map((r) => r.id).sort(), ["q10", "q11", "q9"]);
  });

  it("refuses a query that does not parse with 400", async () => {
    assert.equal(await statusOf(() => container.items.query("SELECT FROM WHERE", { partitionKey: "p0" }).fetchAll()), 400);
  });

  it("queries databases and containers by name", async () => {
    const { resources: dbs } = await ctx.client.databases
      .query({ query: "SELECT * FROM root r WHERE r.id = @id", parameters: [{ name: "@id", value: ctx.database.id }] })
      .fetchAll();
    assert.deepEqual(dbs.map((d) => d.id), [ctx.database.id]);
    const { resources: colls } = await ctx.database.containers
      .query({ query: "SELECT * FROM root r WHERE r.id = @id", parameters: [{ name: "@id", value: container.id }] })
      .fetchAll();
    assert.deepEqual(colls.map((c) => c.id), [container.id]);
  });
});
