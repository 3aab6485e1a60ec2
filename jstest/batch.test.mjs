// Transactional batch (atomic, one logical partition) and bulk (non-atomic
// batches per partition key range, each operation answered on its own).
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { BulkOperationType } from "@azure/cosmos";
import { newContainer, useDatabase } from "./helpers.mjs";

describe("transactional batch", () => {
  const ctx = useDatabase("batch");
  let container;
  before(async () => {
    container = await newContainer(ctx.database);
  });

  it("commits every operation together", async () => {
    await container.items.create({ id: "existing", pk: "s", n: 1 });
    const res = await container.items.batch(
      [
        { operationType: BulkOperationType.Create, resourceBody: { id: "b1", pk: "s" } },
        { operationType: BulkOperationType.Upsert, resourceBody: { id: "b2", pk: "s" } },
        { operationType: BulkOperationType.Read, id: "existing" },
        { operationType: BulkOperationType.Patch, id: "existing", resourceBody: { operations: [{ op: "incr", path: "/n", value: 1 }] } },
        { operationType: BulkOperationType.Replace, id: "b1", resourceBody: { id: "b1", pk: "s", v: 2 } },
        { operationType: BulkOperationType.Delete, id: "b2" },
      ],
      "s",
    );
    assert.equal(res.code, 200);
    assert.deepEqual(res.result.map((r) => r.statusCode), [201, 201, 200, 200, 200, 204]);
    assert.equal(res.result[2].resourceBody.id, "existing");
    assert.ok(res.result[0].eTag, "each write carries its etag");
    assert.equal((await container.item("existing", "s").read()).resource.n, 2);
    assert.equal((await container.item("b1", "s").read()).resource.v, 2);
    assert.equal((await container.item("b2", "s").read()).statusCode, 404);
  });

  it("answers 207 with the failing status and 424 for the rest, and writes nothing", async () => {
    await container.items.create({ id: "taken", pk: "f" });
    const res = await container.items.batch(
      [
        { operationType: BulkOperationType.Create, resourceBody: { id: "f1", pk: "f" } },
        { operationType: BulkOperationType.Create, resourceBody: { id: "taken", pk: "f" } },
        { operationType: BulkOperationType.Create, resourceBody: { id: "f2", pk: "f" } },
      ],
      "f",
    );
    assert.equal(res.code, 207);
    assert.deepEqual(res.result.map((r) => r.statusCode), [424, 409, 424]);
    assert.equal((await container.item("f1", "f").read()).statusCode, 404, "nothing of a failed batch is written");
  });
});

describe("bulk", () => {
  const ctx = useDatabase("bulk");
  let container;
  before(async () => {
    container = await newContainer(ctx.database);
    await container.items.create({ id: "taken", pk: "p1", n: 1 });
  });

  it("executeBulkOperations applies each operation on its own with its own status", async () => {
    const ops = [];
    for (let i = 0; i < 20; i++) {
      ops.push({ operationType: BulkOperationType.Create, partitionKey: `p${i % 5}`, resourceBody: { id: `c${i}`, pk: `p${i % 5}` } });
    }
    // executeBulkOperations wants every operation's partition key named.
    ops.push({ operationType: BulkOperationType.Create, partitionKey: "p1", resourceBody: { id: "taken", pk: "p1" } }); // 409
    ops.push({ operationType: BulkOperationType.Patch, id: "taken", partitionKey: "p1", resourceBody: [{ op: "incr", path: "/n", value: 1 }] });
    ops.push({ operationType: BulkOperationType.Read, id: "nope", partitionKey: "p2" }); // 404
    ops.push({ operationType: BulkOperationType.Upsert, partitionKey: "p3", resourceBody: { id: "u", pk: "p3" } });
    ops.push({ operationType: BulkOperationType.Replace, id: "c0", partitionKey: "p0", resourceBody: { id: "c0", pk: "p0", v: 1 } });
    ops.push({ operationType: BulkOperationType.Delete, id: "c1", partitionKey: "p1" });
    const results = await container.items.executeBulkOperations(ops);
    assert.equal(results.length, ops.length);
    const codes = results.map((r) => r.response?.statusCode ?? r.error?.code);
    assert.deepEqual(codes.slice(0, 20), Array(20).fill(201));
    assert.deepEqual(codes.slice(20), [409, 200, 404, 201, 200, 204]);
    assert.ok(results[0].response.requestCharge > 0);
    assert.ok(results[0].response.eTag);
    assert.equal(results[21].response.resourceBody.n, 2);

    assert.equal((await container.item("taken", "p1").read()).resource.n, 2, "a failure does not undo the others");
    assert.equal((await container.item("c1", "p1").read()).statusCode, 404);
    assert.equal((await container.item("c0", "p0").read()).resource.v, 1);
  });

  it("items.bulk (deprecated) with continueOnError reports every operation", async () => {
    const res = await container.items.bulk(
      [
        { operationType: BulkOperationType.Create, resourceBody: { id: "d1", pk: "q" } },
        { operationType: BulkOperationType.Create, resourceBody: { id: "d1", pk: "q" } },
        { operationType: BulkOperationType.Create, resourceBody: { id: "d2", pk: "q" } },
      ],
      { continueOnError: true },
    );
    assert.deepEqual(res.map((r) => r.statusCode), [201, 409, 201]);
    assert.equal((await container.item("d2", "q").read()).statusCode, 200);
  });
});
