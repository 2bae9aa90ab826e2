/**
 * Accounts and tokens inside workerd: signup, login, me, JWKS, discovery and
 * rotation on the built Worker (WASM argon2, neon-http, Upstash REST), and the
 * same database served by the Node app at once: hashes, sealed rows and keys
 * made by one runtime work on the other.
 */
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeCrypto } from "../../src/adapters/crypto/node-crypto.js";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { samlifyProtocol } from "../../src/adapters/saml/samlify.js";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { parseConfig } from "../../src/config.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { cryptoRandom, systemClock } from "../../src/core/ports/clock.js";
import type { Database } from "../../src/core/ports/database.js";
import { createApp } from "../../src/http/app.js";
import { client, decode, GOOD_PASSWORD, type TokenBody } from "../support/accounts.js";
import { freePort } from "../support/ports.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

let h: WorkerHarness;
let worker: WorkerInstance;
let nodeDb: Database;
let onWorker: ReturnType<typeof client>;
let onNode: ReturnType<typeof client>;

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  onWorker = client((path, init) => worker.request(path, init), h.adminKey);
  // The Node app on the same Postgres database, with the same configuration.
  const config = parseConfig(h.bindings(), "node");
  nodeDb = createPgDatabase(h.database.url, { max: 4 });
  const app = createApp({
    config,
    db: nodeDb,
    kv: new MemoryKeyValueStore(systemClock),
    clock: systemClock,
    random: cryptoRandom,
    logger: silentLogger,
    // As the Node entry has it: node:crypto, while the Worker uses WebCrypto.
    sealer: await Sealer.create(config.ENCRYPTION_KEYS, cryptoRandom, nodeCrypto),
    passwords: createNodeArgon2Hasher(cryptoRandom),
    samlProtocol: samlifyProtocol,
    clientIp: () => null,
  });
  onNode = client((path, init) => app.request(path, init), h.adminKey);
  await onWorker.createTenant("edge");
}, 60_000);

afterAll(async () => {
  await nodeDb?.close();
  await h?.close();
}, 60_000);

describe("inside workerd", () => {
  it("signs up, logs in and answers /me", async () => {
    const signup = await onWorker.signup("edge", "Wendy@Example.org", GOOD_PASSWORD, "Wendy");
    expect(signup.status, await signup.clone().text()).toBe(201);
    const body = (await signup.json()) as TokenBody & { user: { email: string } };
    expect(body.user.email).toBe("Wendy@example.org");
    expect(decode(body.access_token).claims).toMatchObject({ sid: body.session_id, amr: ["pwd"] });

    const login = await onWorker.login("edge", "wendy@example.org");
    expect(login.status).toBe(200);
    const token = ((await login.json()) as TokenBody).access_token;
    const me = await onWorker.me("edge", token);
    expect(await me.json()).toMatchObject({ email: "Wendy@example.org", name: "Wendy" });

    const wrong = await onWorker.login("edge", "wendy@example.org", "wrong password here");
    const unknown = await onWorker.login("edge", "nobody@example.org", "wrong password here");
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it("serves discovery and a JWKS that verifies its tokens, before and after a rotation", async () => {
    const discovery = (await (await worker.request("/t/edge/.well-known/openid-configuration")).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(`${h.publicUrl}/t/edge`);
    const jwksPath = new URL(discovery.jwks_uri).pathname;

    const before = ((await (await onWorker.signup("edge", "rot@example.org")).json()) as TokenBody).access_token;
    const rotate = await onWorker.rotate("edge");
    expect(rotate.status).toBe(200);
    const { active_kid } = (await rotate.json()) as { active_kid: string };
    const after = ((await (await onWorker.login("edge", "rot@example.org")).json()) as TokenBody).access_token;
    expect(decode(after).header.kid).toBe(active_kid);

    const jwks = createLocalJWKSet((await (await worker.request(jwksPath)).json()) as { keys: [] });
    for (const token of [before, after]) {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: discovery.issuer,
        audience: discovery.issuer,
        typ: "at+jwt",
      });
      expect(payload.tid).toBeTruthy();
      expect((await onWorker.me("edge", token)).status).toBe(200);
    }
  });
});

describe("across runtimes, on one database", () => {
  it("logs in on Node a user who signed up on the Worker (WASM hash, native verify), and back", async () => {
    expect((await onWorker.signup("edge", "cross-w@example.org", "pässwörd ✓ long enough")).status).toBe(201);
    expect((await onNode.login("edge", "cross-w@example.org", "pässwörd ✓ long enough")).status).toBe(200);

    expect((await onNode.signup("edge", "cross-n@example.org", "pässwörd ✓ long enough")).status).toBe(201);
    expect((await onWorker.login("edge", "cross-n@example.org", "pässwörd ✓ long enough")).status).toBe(200);
    expect((await onWorker.login("edge", "cross-n@example.org", "passwörd ✓ long enough")).status).toBe(401);
  });

  it("verifies on each runtime the tokens the other signed", async () => {
    const fromWorker = (
      (await (await onWorker.login("edge", "cross-w@example.org", "pässwörd ✓ long enough")).json()) as TokenBody
    ).access_token;
    const fromNode = (
      (await (await onNode.login("edge", "cross-n@example.org", "pässwörd ✓ long enough")).json()) as TokenBody
    ).access_token;
    expect(await (await onNode.me("edge", fromWorker)).json()).toMatchObject({ email: "cross-w@example.org" });
    expect(await (await onWorker.me("edge", fromNode)).json()).toMatchObject({ email: "cross-n@example.org" });
  });

  it.each(["ES256", "EdDSA"])("signs %s tokens on each runtime that the other verifies", async (alg) => {
    const slug = `edge-${alg.toLowerCase()}`;
    await onWorker.createTenant(slug, { signing_alg: alg });
    const signup = await onWorker.signup(slug, "alg@example.org");
    expect(signup.status).toBe(201);
    const fromWorker = ((await signup.json()) as TokenBody).access_token;
    expect(decode(fromWorker).header).toMatchObject({ alg, typ: "at+jwt" });
    const fromNode = ((await (await onNode.login(slug, "alg@example.org")).json()) as TokenBody).access_token;
    expect(decode(fromNode).header).toMatchObject({ alg });
    expect((await onNode.me(slug, fromWorker)).status).toBe(200);
    expect((await onWorker.me(slug, fromNode)).status).toBe(200);
    expect((await onWorker.me(slug, fromWorker)).status).toBe(200);
  });

  it("answers 503 with Retry-After when Upstash cannot be reached (workerd's own fetch error)", async () => {
    const signup = await onWorker.signup("edge", "outage@example.org");
    expect(signup.status).toBe(201);
    const token = ((await signup.json()) as TokenBody).access_token;
    // A port nothing listens on: workerd's fetch rejects with its own error, not Node's.
    const down = await h.start({ UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await freePort()}` });
    const answer = await readAnswer(
      await down.request("/t/edge/v1/me", { headers: { Authorization: `Bearer ${token}` } }),
    );
    expectProblem(answer, 503, "service_unavailable");
    expect(answer.headers.get("retry-after")).toBe("5");
  });
});
