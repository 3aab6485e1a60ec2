// Items: point operations, etags and preconditions, and the refusals the
// service answers them with.
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { newContainer, statusOf, useDatabase } from "./helpers.mjs";

describe("items", () => {
  const ctx = useDatabase("items");
  let container;
  before(async () => {
    container = await newContainer(ctx.database);
  });

  it("creates, reads, replaces, upserts and deletes an item", async () => {
    const created = await container.items.create({ id: "a", pk: "p", n: 1 });
    assert.equal(created.statusCode, 201);
    assert.equal(created.resource.n, 1);
    assert.ok(created.etag, "create returns an etag");
    assert.ok(created.requestCharge > 0);

    const read = await container.item("a", "p").read();
    assert.equal(read.statusCode, 200);
    assert.equal(read.resource.id, "a");
    assert.equal(read.resource._etag, created.etag);

    const replaced = await container.item("a", "p").replace({ id: "a", pk: "p", n: 2 });
    assert.equal(replaced.statusCode, 200);
    assert.equal(replaced.resource.n, 2);
    assert.notEqual(replaced.etag, created.etag);

    const upserted = await container.items.upsert({ id: "a", pk: "p", n: 3 });
    assert.equal(upserted.statusCode, 200);
    const inserted = await container.items.upsert({ id: "b", pk: "p", n: 1 });
    assert.equal(inserted.statusCode, 201);

    const deleted = await container.item("a", "p").delete();
    assert.equal(deleted.statusCode, 204);
    const gone = await container.item("a", "p").read();
    assert.equal(gone.statusCode, 404, "reading a deleted item answers 404 without throwing");
    assert.equal(gone.resource, undefined);
  });

  it("honours If-Match: 412 on a stale etag, success on the current one", async () => {
    const { etag } = await container.items.create({ id: "e", pk: "p", v: 1 });
    await container.item("e", "p").replace({ id: "e", pk: "p", v: 2 });
    const stale = { accessCondition: { type: "IfMatch", condition: etag } };
    assert.equal(await statusOf(() => container.item("e", "p").replace({ id: "e", pk: "p", v: 3 }, stale)), 412);
    assert.equal(await statusOf(() => container.item("e", "p").delete(stale)), 412);
    const current = (await container.item("e", "p").read()).etag;
    const ok = await container.item("e", "p").replace({ id: "e", pk: "p", v: 3 }, { accessCondition: { type: "IfMatch", condition: current } });
    assert.equal(ok.resource.v, 3);
  });

  it("answers 304 to a read whose If-None-Match names the current etag", async () => {
    const { etag } = await container.items.create({ id: "inm", pk: "p" });
    const res = await container.item("inm", "p").read({ accessCondition: { type: "IfNoneMatch", condition: etag } });
    assert.equal(res.statusCode, 304);
  });

  it("refuses a second create of the same id with 409", async () => {
    await container.items.create({ id: "dup", pk: "p" });
    assert.equal(await statusOf(() => container.items.create({ id: "dup", pk: "p" })), 409);
    // The same id in another logical partition is another item.
    const other = await container.items.create({ id: "dup", pk: "q" });
    assert.equal(other.statusCode, 201);
  });

  it("answers 404 to replace and delete of a missing item", async () => {
    assert.equal(await statusOf(() => container.item("missing", "p").replace({ id: "missing", pk: "p" })), 404);
    assert.equal(await statusOf(() => container.item("missing", "p").delete()), 404);
  });

  it("refuses an item over 2 MB with 413 and keeps what was stored", async () => {
    await container.items.create({ id: "big", pk: "p", small: true });
    const big = { id: "big", pk: "p", blob: "x".repeat(2 * 1024 * 1024 + 10) };
    assert.equal(await statusOf(() => container.items.upsert(big)), 413);
    const kept = await container.item("big", "p").read();
    assert.equal(kept.resource.small, true);
  });

  it("reads every item with readAll (the read feed), page by page", async () => {
    const c = await newContainer(ctx.database);
    for (let i = 0; i < 7; i++) {
      await c.items.create({ id: `r${i}`, pk: `p${i % 3}` });
    }
    const iterator = c.items.readAll({ maxItemCount: 3 });
    const seen = [];
    let pages = 0;
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      if (resources.length > 0) pages++;
      assert.ok(resources.length <= 3, "a page holds at most maxItemCount items");
      seen.push(...resources.map((r) => r.id));
    }
    assert.deepEqual(seen.sort(), ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]);
    assert.ok(pages >= 3, `7 items in pages of 3 took ${pages} pages`);
  });
});
