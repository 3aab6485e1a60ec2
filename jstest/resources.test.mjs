// Databases, containers and offers (throughput): create, read, list, query,
// replace and delete, and the refusals of each.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it, before } from "node:test";
import { newContainer, statusOf, useDatabase } from "./helpers.mjs";

describe("databases and containers", () => {
  const ctx = useDatabase("res");

  it("creates, reads, lists and deletes a database; 409 twice, 404 after", async () => {
    const id = `db-${randomUUID()}`;
    const { database, statusCode } = await ctx.client.databases.create({ id });
    assert.equal(statusCode, 201);
    assert.equal(await statusOf(() => ctx.client.databases.create({ id })), 409);
    const { resource } = await database.read();
    assert.equal(resource.id, id);
    assert.ok(resource._rid && resource._self && resource._etag);
    const { resources } = await ctx.client.databases.readAll().fetchAll();
    assert.ok(resources.some((d) => d.id === id), "readAll lists the new database");
    const again = await ctx.client.databases.createIfNotExists({ id });
    assert.equal(again.statusCode, 200);
    await database.delete();
    assert.equal(await statusOf(() => database.read()), 404);
  });

  it("creates, reads, lists, replaces and deletes a container", async () => {
    const container = await newContainer(ctx.database, "c1", { defaultTtl: -1 });
    assert.equal(await statusOf(() => newContainer(ctx.database, "c1")), 409);
    const { resource } = await container.read();
    assert.deepEqual(resource.partitionKey.paths, ["/pk"]);
    const { resources } = await ctx.database.containers.readAll().fetchAll();
    assert.ok(resources.some((c) => c.id === "c1"));
    const replaced = await container.replace({ ...resource, defaultTtl: 3600 });
    assert.equal(replaced.resource.defaultTtl, 3600);
    const pkDef = await container.getPartitionKeyDefinition();
    assert.deepEqual(pkDef.resource.paths, ["/pk"]);
    const { resources: ranges } = await container.readPartitionKeyRanges().fetchAll();
    assert.equal(ranges.length, 2);
    await container.delete();
    assert.equal(await statusOf(() => container.read()), 404);
    assert.equal(await statusOf(() => container.items.create({ id: "x", pk: "p" })), 404);
  });

  it("creates a container with a hierarchical partition key", async () => {
    const { container } = await ctx.database.containers.create({
      id: "hpk",
      partitionKey: { paths: ["/tenant", "/user"], version: 2, kind: "MultiHash" },
    });
    await container.items.create({ id: "1", tenant: "t", user: "u" });
    const { resource } = await container.item("1", ["t", "u"]).read();
    assert.equal(resource.user, "u");
    const { resources } = await container.items.query("SELECT * FROM c", { partitionKey: ["t", "u"] }).fetchAll();
    assert.equal(resources.length, 1);
  });
});

describe("documented refusals", () => {
  const ctx = useDatabase("refuse");

  it("refuses stored procedures, triggers and UDFs with 400", async () => {
    const container = await newContainer(ctx.database);
    const { scripts } = container;
    assert.equal(await statusOf(() => scripts.storedProcedures.create({ id: "sp", body: "function () {}" })), 400);
    assert.equal(await statusOf(() => scripts.triggers.create({ id: "t", body: "function () {}", triggerOperation: "All", triggerType: "Pre" })), 400);
    assert.equal(await statusOf(() => scripts.userDefinedFunctions.create({ id: "u", body: "function () {}" })), 400);
  });

  it("refuses users and permissions with 400", async () => {
    assert.equal(await statusOf(() => ctx.database.users.create({ id: "u" })), 400);
  });
});

describe("offers", () => {
  const ctx = useDatabase("offers");
  let container;
  before(async () => {
    container = await newContainer(ctx.database, "throughput", { throughput: 400 });
  });

  it("reads a container's offer and replaces its throughput", async () => {
    const { resource: offer } = await container.readOffer();
    assert.ok(offer, "a container created with throughput has an offer");
    assert.equal(offer.content.offerThroughput, 400);
    const read = await ctx.client.offer(offer.id).read();
    assert.equal(read.resource.id, offer.id);
    const replaced = await ctx.client.offer(offer.id).replace({ ...offer, content: { ...offer.content, offerThroughput: 800 } });
    assert.equal(replaced.resource.content.offerThroughput, 800);
    assert.equal((await container.readOffer()).resource.content.offerThroughput, 800);
  });

  it("lists and queries offers", async () => {
    const { resources } = await ctx.client.offers.readAll().fetchAll();
    assert.ok(resources.length >= 1);
    const { resource: container_ } = await container.read();
    const { resources: mine } = await ctx.client.offers
      .query({ query: "SELECT * FROM root r WHERE r.offerResourceId = @rid", parameters: [{ name: "@rid", value: container_._rid }] })
      .fetchAll();
    assert.equal(mine.length, 1);
  });

  it("answers 404 for an unknown offer", async () => {
    assert.equal(await statusOf(() => ctx.client.offer("nope").read()), 404);
  });
});
