// Patch (partial document update): every operation, both body shapes the SDK
// sends (a bare array; {operations, condition}), and conditional patch.
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { newContainer, statusOf, useDatabase } from "./helpers.mjs";

describe("patch", () => {
  const ctx = useDatabase("patch");
  let container;
  before(async () => {
    container = await newContainer(ctx.database);
  });

  it("applies add, set, replace, remove, incr and move from a bare array", async () => {
    await container.items.create({ id: "a", pk: "p", n: 1, tags: ["x"], old: "o", gone: true, nested: { v: 1 } });
    const { resource, statusCode } = await container.item("a", "p").patch([
      { op: "add", path: "/tags/1", value: "y" },
      { op: "set", path: "/nested/v", value: 2 },
      { op: "replace", path: "/n", value: 10 },
      { op: "remove", path: "/gone" },
      { op: "incr", path: "/n", value: 5 },
      { op: "move", from: "/old", path: "/renamed" },
    ]);
    assert.equal(statusCode, 200);
    assert.deepEqual(resource.tags, ["x", "y"]);
    assert.equal(resource.nested.v, 2);
    assert.equal(resource.n, 15);
    assert.equal("gone" in resource, false);
    assert.equal("old" in resource, false);
    assert.equal(resource.renamed, "o");
  });

  it("applies {operations} when its condition holds and answers 412 when it does not", async () => {
    await container.items.create({ id: "c", pk: "p", n: 1 });
    const ok = await container.item("c", "p").patch({
      condition: "from c where c.n = 1",
      operations: [{ op: "incr", path: "/n", value: 1 }],
    });
    assert.equal(ok.resource.n, 2);
    const refused = await statusOf(() =>
      container.item("c", "p").patch({
        condition: "from c where c.n = 1",
        operations: [{ op: "incr", path: "/n", value: 1 }],
      }),
    );
    assert.equal(refused, 412);
    assert.equal((await container.item("c", "p").read()).resource.n, 2, "a refused patch changes nothing");
  });

  it("honours If-Match on patch", async () => {
    const { etag } = await container.items.create({ id: "m", pk: "p", n: 1 });
    await container.item("m", "p").patch([{ op: "incr", path: "/n", value: 1 }]);
    const stale = { accessCondition: { type: "IfMatch", condition: etag } };
    assert.equal(await statusOf(() => container.item("m", "p").patch([{ op: "incr", path: "/n", value: 1 }], stale)), 412);
  });

  it("refuses bad patches with 400 and missing items with 404", async () => {
    await container.items.create({ id: "b", pk: "p", s: "text" });
    const cases = [
      [{ op: "incr", path: "/s", value: 1 }], // not a number
      [{ op: "set", path: "/id", value: "other" }], // the id
      [{ op: "replace", path: "/absent", value: 1 }], // replace needs the path
      [{ op: "set", path: "/pk", value: "q" }], // the partition key
      Array.from({ length: 11 }, (_, i) => ({ op: "set", path: `/f${i}`, value: i })), // over 10 operations
    ];
    for (const ops of cases) {
      assert.equal(await statusOf(() => container.item("b", "p").patch(ops)), 400, JSON.stringify(ops[0]));
    }
    assert.equal((await container.item("b", "p").read()).resource.s, "text");
    assert.equal(await statusOf(() => container.item("none", "p").patch([{ op: "set", path: "/a", value: 1 }])), 404);
  });
});
