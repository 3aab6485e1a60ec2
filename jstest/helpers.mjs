// Shared setup of the JavaScript SDK compatibility suite. The Go test in this
// directory (jstest_test.go) starts `orderctx cosmos` in process and runs
// `node --test` with COSMOS_ENDPOINT and COSMOS_KEY set.
import { randomUUID } from "node:crypto";
import { after, before } from "node:test";
import { CosmosClient } from "@azure/cosmos";

export const endpoint = process.env.COSMOS_ENDPOINT;
export const key = process.env.COSMOS_KEY;
if (!endpoint || !key) {
  throw new Error("COSMOS_ENDPOINT and COSMOS_KEY must be set (run through `go test ./jstest`)");
}

export function newClient(options = {}) {
  return new CosmosClient({ endpoint, key, ...options });
}

// useDatabase creates a database of its own for one test file and deletes it
// afterwards; it returns an object whose fields are set once `before` ran.
export function useDatabase(prefix) {
  const ctx = { client: newClient(), database: undefined };
  before(async () => {
    const { database } = await ctx.client.databases.create({ id: `${prefix}-${randomUUID()}` });
    ctx.database = database;
  });
  after(async () => {
    await ctx.database?.delete();
    ctx.client.dispose();
  });
  return ctx;
}

// newContainer creates a container partitioned on /pk.
export async function newContainer(database, id = randomUUID(), extra = {}) {
  const { container } = await database.containers.create({
    id,
    partitionKey: { paths: ["/pk"] },
    ...extra,
  });
  return container;
}

// statusOf runs fn and returns the status code it failed with (0: no failure).
export async function statusOf(fn) {
  try {
    await fn();
    return 0;
  } catch (err) {
    return err.code;
  }
}

// drainChangeFeed reads an iterator until it reports nothing new, and
// returns the changed items and the last continuation token.
export async function drainChangeFeed(iterator) {
  const items = [];
  let continuation;
  while (iterator.hasMoreResults) {
    const res = await iterator.readNext();
    continuation = res.continuationToken;
    if (res.statusCode === 304) break;
    items.push(...res.result);
  }
  return { items, continuation };
}

export const ids = (items) => items.map((i) => i.id).sort();
