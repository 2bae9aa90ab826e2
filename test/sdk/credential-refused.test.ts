/**
 * A service whose own API key the authority refuses (revoked: 401; lacking
 * the scope: 403) at the introspection or API-key verification endpoint is
 * misconfigured, not facing an outage: the verifiers report
 * `configuration_error` / `introspection_unauthorized` (never a 503
 * "temporarily unavailable" that would never pass), log it once through the
 * supplied logger (never the key itself), log again only after the key has
 * worked in between, and the middleware answer 500 with that code. Against
 * the real service.
 */
import { type AuthOptions, createApiKeyVerifier, createVerifier, withAuth } from "@authority/sdk";
import * as hono from "@authority/sdk/hono";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { type FetchFn, type SdkHarness, type Signed, startSdkHarness } from "./support.js";

const TENANT = "cfg";
let h: SdkHarness;
let user: Signed;
let userKey: string;
const keys = { both: "", verifyOnly: "", introspectOnly: "", revoked: "" };

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant(TENANT);
  keys.both = (await h.serviceKey(TENANT, ["tokens:introspect", "api_keys:verify"])).key;
  keys.verifyOnly = (await h.serviceKey(TENANT, ["api_keys:verify"])).key;
  keys.introspectOnly = (await h.serviceKey(TENANT, ["tokens:introspect"])).key;
  const revoked = await h.serviceKey(TENANT, ["tokens:introspect", "api_keys:verify"]);
  const deleted = await fetch(`${h.issuer(TENANT)}/v1/api-keys/${revoked.id}`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${revoked.owner.access_token}` },
  });
  expect(deleted.status).toBe(204);
  keys.revoked = revoked.key;
  user = await h.signup(TENANT);
  const created = await fetch(`${h.issuer(TENANT)}/v1/api-keys`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${user.access_token}` },
    body: JSON.stringify({ name: "reports", scopes: ["openid"] }),
  });
  userKey = ((await created.json()) as { key: string }).key;
});
afterAll(async () => {
  await h?.close();
});

function recordingLogger() {
  const lines: string[] = [];
  return { lines, logger: { error: (message: string) => lines.push(message) } };
}

/** A fetch that sends `replacement` as this service's credential while `swap.on`: a key fixed or broken at runtime. */
function swappingFetch(replacement: string) {
  const swap = { on: false };
  const fetchFn: FetchFn = (input, init) => {
    if (!swap.on) return fetch(input, init);
    const headers = new Headers(init?.headers);
    headers.set("Authorization", `Bearer ${replacement}`);
    return fetch(input, { ...init, headers });
  };
  return { swap, fetch: fetchFn };
}

const REFUSED = {
  ok: false,
  error: "configuration_error",
  reason: "introspection_unauthorized",
};

describe("token introspection with a refused credential", () => {
  it.each([
    ["lacks tokens:introspect (403)", "verifyOnly", 403],
    ["is revoked (401)", "revoked", 401],
  ] as const)("is a configuration error when the key %s, logged once", async (_, which, status) => {
    const { lines, logger } = recordingLogger();
    const verifier = createVerifier({
      issuer: h.issuer(TENANT),
      checkRevocation: "introspect",
      introspection: { apiKey: keys[which], cacheTtlMs: 0 },
      logger,
    });
    for (let i = 0; i < 3; i++) expect(await verifier.verify(user.access_token)).toMatchObject(REFUSED);
    // Nothing cached: each verification asked (and would pass once the key is fixed).
    expect(verifier.stats().introspections).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`HTTP ${status}`);
    expect(lines[0]).toContain(`${h.issuer(TENANT)}/v1/introspect`);
    expect(lines[0]).toContain("tokens:introspect");
    expect(lines[0]).not.toContain(keys[which]);
  });

  it("recovers when the key is fixed, and logs again when it breaks again", async () => {
    const { lines, logger } = recordingLogger();
    const { swap, fetch } = swappingFetch(keys.both);
    const verifier = createVerifier({
      issuer: h.issuer(TENANT),
      checkRevocation: "introspect",
      introspection: { apiKey: keys.revoked, cacheTtlMs: 0 },
      fetch,
      logger,
    });
    expect(await verifier.verify(user.access_token)).toMatchObject(REFUSED);
    swap.on = true;
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    swap.on = false;
    expect(await verifier.verify(user.access_token)).toMatchObject(REFUSED);
    expect(await verifier.verify(user.access_token)).toMatchObject(REFUSED);
    expect(lines).toHaveLength(2);
  });
});

describe("API-key verification with a refused credential", () => {
  it.each([
    ["lacks api_keys:verify (403)", "introspectOnly", 403],
    ["is revoked (401)", "revoked", 401],
  ] as const)("is a configuration error when the key %s, logged once", async (_, which, status) => {
    const { lines, logger } = recordingLogger();
    const apiKeys = createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: keys[which], logger });
    for (let i = 0; i < 3; i++) expect(await apiKeys.verify(userKey)).toMatchObject(REFUSED);
    expect(apiKeys.stats().requests).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`HTTP ${status}`);
    expect(lines[0]).toContain("api_keys:verify");
    expect(lines[0]).not.toContain(keys[which]);
    // A good key through the same code path is accepted (the refusal was about the credential only).
    const good = createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: keys.both, logger });
    expect((await good.verify(userKey)).ok).toBe(true);
  });
});

describe("the middleware", () => {
  it("answers 500 introspection_unauthorized (no challenge, no Retry-After) for tokens and API keys", async () => {
    const { lines, logger } = recordingLogger();
    const options: AuthOptions = {
      tokens: createVerifier({
        issuer: h.issuer(TENANT),
        checkRevocation: "introspect",
        introspection: { apiKey: keys.revoked },
        logger,
      }),
      apiKeys: createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: keys.revoked, logger }),
    };
    const app = new Hono<hono.AuthEnv>();
    app.use("*", hono.requireAuth(options));
    app.get("/me", (c) => c.json({ user: c.get("auth").subject }));
    const handler = withAuth(async (_request, auth) => Response.json({ user: auth.subject }), options);
    for (const credential of [user.access_token, userKey]) {
      const init = { headers: { Authorization: `Bearer ${credential}` } };
      for (const response of [await app.request("/me", init), await handler(new Request("http://api.test/me", init))]) {
        expect(response.status).toBe(500);
        expect(response.headers.get("content-type")).toContain("application/problem+json");
        expect(response.headers.get("www-authenticate")).toBeNull();
        expect(response.headers.get("retry-after")).toBeNull();
        expect(await response.json()).toMatchObject({ status: 500, code: "introspection_unauthorized" });
      }
    }
    // One line per verifier (tokens, API keys), however many requests.
    expect(lines).toHaveLength(2);
  });
});
