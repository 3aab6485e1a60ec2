// Microsoft Entra ID (type=aad) authorization as the emulator accepts it: a
// token credential whose JWT is "signed" with the account key, as the SDKs'
// own emulator tests mint it. Any other token is refused with 401.
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { CosmosClient } from "@azure/cosmos";
import { endpoint, key, newContainer, statusOf, useDatabase } from "./helpers.mjs";

const b64url = (s) => Buffer.from(s).toString("base64url");

function emulatorCredential(signingKey, { nbf, exp } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: "JWT", alg: "RS256", x5t: "CosmosEmulatorPrimaryMaster", kid: "CosmosEmulatorPrimaryMaster" };
  const claims = {
    aud: "https://localhost.localhost",
    iss: "https://sts.fake-issuer.net/7b1999a1-dfd7-440e-8204-00170979b984",
    iat: now, nbf: nbf ?? now, exp: exp ?? now + 7200,
    oid: "96313034-4739-43cb-93cd-74193adbe5b6", tid: "EmulatorFederation", scp: "user_impersonation",
  };
  const token = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${b64url(signingKey)}`;
  return { getToken: async () => ({ token, expiresOnTimestamp: (exp ?? now + 7200) * 1000 }) };
}

describe("Microsoft Entra ID tokens", () => {
  const ctx = useDatabase("aad");
  let container;
  before(async () => {
    container = await newContainer(ctx.database, "items");
  });

  it("serves item operations and queries to a token credential", async () => {
    const client = new CosmosClient({ endpoint, aadCredentials: emulatorCredential(key) });
    try {
      const c = client.database(ctx.database.id).container(container.id);
      const created = await c.items.create({ id: "1", pk: "a", v: 1 });
      assert.equal(created.statusCode, 201);
      const replaced = await c.item("1", "a").replace({ id: "1", pk: "a", v: 2 });
      assert.equal(replaced.resource.v, 2);
      const { resources } = await c.items.query("SELECT VALUE c.v FROM c", { partitionKey: "a" }).fetchAll();
      assert.deepEqual(resources, [2]);
      assert.equal((await c.item("1", "a").delete()).statusCode, 204);
    } finally {
      client.dispose();
    }
  });

  it("refuses a token not signed with the account key, or expired, with 401", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const cred of [
      emulatorCredential("not-the-key"),
      emulatorCredential(key, { nbf: now - 7200, exp: now - 3600 }),
    ]) {
      const client = new CosmosClient({ endpoint, aadCredentials: cred, connectionPolicy: { enableEndpointDiscovery: false } });
      try {
        const c = client.database(ctx.database.id).container(container.id);
        assert.equal(await statusOf(() => c.items.create({ id: "2", pk: "a" })), 401);
      } finally {
        client.dispose();
      }
    }
  });
});
