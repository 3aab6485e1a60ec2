// The change feed pull model (getChangeFeedIterator): all feed ranges from
// the beginning, one partition key, one feed range, from now, and resuming
// from a continuation token.
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { ChangeFeedMode, ChangeFeedStartFrom } from "@azure/cosmos";
import { drainChangeFeed, ids, newContainer, statusOf, useDatabase } from "./helpers.mjs";

describe("change feed", () => {
  const ctx = useDatabase("feed");
  let container;
  const all = [];
  before(async () => {
    container = await newContainer(ctx.database);
    for (let i = 0; i < 30; i++) {
      await container.items.create({ id: `f${i}`, pk: `p${i % 6}` });
      all.push(`f${i}`);
    }
  });

  it("reads every change of every feed range from the beginning", async () => {
    const ranges = await container.getFeedRanges();
    assert.equal(ranges.length, 2, "the suite's server gives containers two physical partitions");
    const it = container.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Beginning(), maxItemCount: 7 });
    const { items } = await drainChangeFeed(it);
    assert.deepEqual(ids(items), [...all].sort());
  });

  it("reads one partition key's changes in write order", async () => {
    const it = container.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Beginning("p2") });
    const { items } = await drainChangeFeed(it);
    assert.deepEqual(items.map((i) => i.id), ["f2", "f8", "f14", "f20", "f26"]);
  });

  it("reads each feed range on its own, the ranges together covering everything once", async () => {
    const seen = [];
    for (const range of await container.getFeedRanges()) {
      const it = container.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Beginning(range) });
      const { items } = await drainChangeFeed(it);
      assert.ok(items.length > 0 && items.length < all.length, `a range holds part of the items (${items.length})`);
      seen.push(...items.map((i) => i.id));
    }
    assert.deepEqual(seen.sort(), [...all].sort());
  });

  it("resumes from a continuation token with only the changes after it", async () => {
    const c = await newContainer(ctx.database);
    await c.items.create({ id: "before", pk: "a" });
    const first = await drainChangeFeed(c.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Beginning() }));
    assert.deepEqual(ids(first.items), ["before"]);
    assert.ok(first.continuation, "a page carries a continuation token");

    await c.items.create({ id: "after", pk: "b" });
    await c.items.upsert({ id: "before", pk: "a", changed: true });
    const resumed = await drainChangeFeed(
      c.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Continuation(first.continuation) }),
    );
    assert.deepEqual(ids(resumed.items), ["after", "before"]);
    assert.equal(resumed.items.find((i) => i.id === "before").changed, true, "latest version of an item");

    const again = await drainChangeFeed(
      c.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Continuation(resumed.continuation) }),
    );
    assert.deepEqual(again.items, [], "nothing new after the last continuation");
  });

  it("starts from now with only later changes, and answers 304 while nothing is new", async () => {
    const c = await newContainer(ctx.database);
    await c.items.create({ id: "old", pk: "a" });
    const it = c.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Now() });
    const empty = await it.readNext();
    assert.equal(empty.statusCode, 304);
    await c.items.create({ id: "new", pk: "a" });
    const { items } = await drainChangeFeed(it);
    assert.deepEqual(ids(items), ["new"]);
  });

  it("starts from a time", async () => {
    const c = await newContainer(ctx.database);
    await c.items.create({ id: "t1", pk: "a" });
    const it = c.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Time(new Date(Date.now() - 60_000)) });
    const { items } = await drainChangeFeed(it);
    assert.deepEqual(ids(items), ["t1"]);
  });

  it("serves the older changeFeed(partitionKey) iterator from the beginning", async () => {
    const it = container.items.changeFeed("p3", { startFromBeginning: true });
    const page = await it.fetchNext();
    assert.equal(page.statusCode, 200);
    assert.deepEqual(page.result.map((i) => i.id), ["f3", "f9", "f15", "f21", "f27"]);
    assert.ok(page.etag, "the page's etag is the continuation");
    const next = await it.fetchNext();
    assert.equal(next.statusCode, 304);
  });

  it("refuses all-versions-and-deletes mode on a container without a change feed policy", async () => {
    const it = container.items.getChangeFeedIterator({
      changeFeedStartFrom: ChangeFeedStartFrom.Now(),
      changeFeedMode: ChangeFeedMode.AllVersionsAndDeletes,
    });
    assert.equal(await statusOf(() => it.readNext()), 400);
  });
});
