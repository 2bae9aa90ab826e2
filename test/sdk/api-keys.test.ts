/**
 * The SDK's API-key verifier against the real service: valid keys pass (and
 * are cached for a bounded time, never past their expiry), revoked and
 * unknown keys fail, malformed keys and checksum errors are refused without
 * any request, and its format check agrees with the service's own.
 */
import { apiKeyFormat, createApiKeyVerifier, isWellFormedApiKey } from "@authority/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey, isWellFormedApiKey as serviceWellFormed } from "../../src/core/api-keys/key-format.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { JSON_HEADERS } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { countingFetch, type SdkHarness, type Signed, startSdkHarness } from "./support.js";

let h: SdkHarness;
let serviceKey: string;
let owner: Signed;
const TENANT = "keys";

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant(TENANT);
  serviceKey = (await h.serviceKey(TENANT, ["api_keys:verify"])).key;
  owner = await h.signup(TENANT);
});
afterAll(async () => {
  await h?.close();
});

async function createKey(scopes: string[], expiresAt?: Date) {
  const response = await fetch(`${h.issuer(TENANT)}/v1/api-keys`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${owner.access_token}` },
    body: JSON.stringify({ name: "k", scopes, ...(expiresAt ? { expires_at: expiresAt.toISOString() } : {}) }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string; key: string };
}

function verifier(extra: Partial<Parameters<typeof createApiKeyVerifier>[0]> = {}) {
  const counting = countingFetch();
  const v = createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: serviceKey, fetch: counting.fetch, ...extra });
  return { v, requests: () => counting.count("/v1/api-keys/verify") };
}

function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (seconds: number) => (offset += seconds * 1000) };
}

describe("createApiKeyVerifier", () => {
  it("verifies a valid key and caches it", async () => {
    const created = await createKey(["openid", "email"]);
    const { v, requests } = verifier();
    const result = await v.verify(created.key);
    expect(result).toEqual({
      ok: true,
      key: {
        keyId: created.id,
        userId: owner.user.id,
        tenantId: expect.any(String),
        scopes: ["openid", "email"],
        expiresAt: null,
      },
    });
    for (let i = 0; i < 20; i++) expect((await v.verify(created.key)).ok).toBe(true);
    expect(requests()).toBe(1);
    expect(v.stats().requests).toBe(1);
  });

  it("verifies a service key of the tenant (no owner: userId null), where it answered unavailable before", async () => {
    const response = await fetch(`${h.issuer(TENANT)}/v1/admin/api-keys`, {
      method: "POST",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ name: "tenant-svc", scopes: ["reports:read"] }),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as { id: string; key: string };
    const { v } = verifier();
    expect(await v.verify(created.key)).toEqual({
      ok: true,
      key: { keyId: created.id, userId: null, tenantId: expect.any(String), scopes: ["reports:read"], expiresAt: null },
    });
  });

  it("sees a revocation once the cached entry runs out (at once without a cache)", async () => {
    const created = await createKey(["openid"]);
    const time = clock();
    const cached = verifier({ now: time.now });
    const uncached = verifier({ cacheTtlMs: 0 });
    expect((await cached.v.verify(created.key)).ok).toBe(true);
    expect((await uncached.v.verify(created.key)).ok).toBe(true);
    const revoked = await fetch(`${h.issuer(TENANT)}/v1/api-keys/${created.id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${owner.access_token}` },
    });
    expect(revoked.status).toBe(204);
    expect(await uncached.v.verify(created.key)).toMatchObject({
      ok: false,
      error: "invalid_token",
      reason: "invalid",
    });
    time.advance(59);
    expect((await cached.v.verify(created.key)).ok).toBe(true);
    time.advance(2);
    expect(await cached.v.verify(created.key)).toMatchObject({ ok: false, reason: "invalid" });
    // Negative verdicts are never cached.
    expect(await cached.v.verify(created.key)).toMatchObject({ ok: false, reason: "invalid" });
    expect(cached.requests()).toBe(3);
  });

  it("refuses malformed keys and checksum errors without any request", async () => {
    const { v, requests } = verifier();
    const good = (await createKey(["openid"])).key;
    const flipLast = `${good.slice(0, -1)}${good.endsWith("A") ? "B" : "A"}`;
    const flipSecret = `sk_${good[3] === "a" ? "b" : "a"}${good.slice(4)}`;
    const cases: [string, string][] = [
      ["", "malformed"],
      ["sk_", "malformed"],
      [good.slice(0, -1), "malformed"],
      [`${good}0`, "malformed"],
      [`pk_${good.slice(3)}`, "malformed"],
      [`SK_${good.slice(3)}`, "malformed"],
      [`${good.slice(0, 10)}-${good.slice(11)}`, "malformed"],
      [` ${good}`, "malformed"],
      [flipLast, "checksum"],
      [flipSecret, "checksum"],
    ];
    for (const [key, reason] of cases) {
      expect(await v.verify(key), JSON.stringify(key)).toMatchObject({ ok: false, error: "invalid_token", reason });
    }
    expect(await v.verify(42 as unknown as string)).toMatchObject({ ok: false, reason: "malformed" });
    expect(requests()).toBe(0);
  });

  it("asks about well-formed unknown keys every time", async () => {
    const { v, requests } = verifier();
    const unknown = generateApiKey(cryptoRandom);
    expect(await v.verify(unknown)).toMatchObject({ ok: false, reason: "invalid" });
    expect(await v.verify(unknown)).toMatchObject({ ok: false, reason: "invalid" });
    expect(requests()).toBe(2);
  });

  it("never serves a cached key past its expiry", async () => {
    const created = await createKey(["openid"], new Date(Date.now() + 3_000));
    const { v, requests } = verifier({ cacheTtlMs: 300_000 });
    const result = await v.verify(created.key);
    expect(result.ok && result.key.expiresAt instanceof Date).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    expect(await v.verify(created.key)).toMatchObject({ ok: false, reason: "invalid" });
    expect(requests()).toBe(2);
  });

  it("bounds its cache and shares concurrent lookups", async () => {
    const a = (await createKey(["openid"])).key;
    const b = (await createKey(["openid"])).key;
    const { v, requests } = verifier({ maxEntries: 1 });
    const results = await Promise.all(Array.from({ length: 30 }, () => v.verify(a)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(requests()).toBe(1);
    expect((await v.verify(b)).ok).toBe(true);
    expect((await v.verify(a)).ok).toBe(true);
    expect(requests()).toBe(3);
  });

  it("fails closed when the authority is unreachable (a refused key: credential-refused.test.ts)", async () => {
    const good = (await createKey(["openid"])).key;
    const down = createApiKeyVerifier({
      issuer: h.issuer(TENANT),
      apiKey: serviceKey,
      url: "http://127.0.0.1:9/x",
      timeoutMs: 1_000,
    });
    expect(await down.verify(good)).toMatchObject({
      ok: false,
      error: "temporarily_unavailable",
      reason: "unavailable",
    });
  });

  it("refuses unsafe or out-of-range options", () => {
    expect(() => createApiKeyVerifier({ issuer: "http://auth.example.com/t/x", apiKey: serviceKey })).toThrow(
      TypeError,
    );
    expect(() => createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: "" })).toThrow(TypeError);
    expect(() => createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: serviceKey, cacheTtlMs: 300_001 })).toThrow(
      RangeError,
    );
  });
});

describe("key format", () => {
  it("agrees with the service's own check on generated, mutated and random keys", () => {
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let agreed = 0;
    for (let i = 0; i < 2_000; i++) {
      const key = generateApiKey(cryptoRandom);
      const position = 3 + (i % 49);
      const mutated = `${key.slice(0, position)}${alphabet[(alphabet.indexOf(key[position] as string) + 1 + (i % 61)) % 62]}${key.slice(position + 1)}`;
      for (const candidate of [key, mutated]) {
        expect(isWellFormedApiKey(candidate)).toBe(serviceWellFormed(candidate));
        agreed++;
      }
      expect(apiKeyFormat(key)).toBe("ok");
      expect(apiKeyFormat(mutated)).toBe("checksum");
    }
    expect(agreed).toBe(4_000);
  });
});
