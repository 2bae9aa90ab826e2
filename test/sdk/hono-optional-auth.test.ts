/**
 * Hono's optional authentication (`optionalAuth`, `getAuth`) against the real
 * service: a request without a Bearer credential passes with no principal,
 * one with a valid token or API key passes with it, and a credential that is
 * presented but bad never degrades to anonymous (401, 400 for a malformed
 * header, 503 when the keys cannot be fetched). requireScope behind it asks
 * an anonymous caller to authenticate (401 with the issuer's realm).
 */
import { createApiKeyVerifier, createVerifier } from "@authority/sdk";
import { getAuth, type OptionalAuthEnv, optionalAuth, requireScope } from "@authority/sdk/hono";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { type SdkHarness, type Signed, startSdkHarness } from "./support.js";

const TENANT = "optional";
let h: SdkHarness;
let user: Signed;
let userKey: string;
let app: Hono<OptionalAuthEnv>;

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant(TENANT);
  const service = await h.serviceKey(TENANT, ["api_keys:verify"]);
  user = await h.signup(TENANT);
  const created = await fetch(`${h.issuer(TENANT)}/v1/api-keys`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${user.access_token}` },
    body: JSON.stringify({ name: "reports", scopes: ["openid"] }),
  });
  userKey = ((await created.json()) as { key: string }).key;
  const tokens = createVerifier({ issuer: h.issuer(TENANT) });
  const apiKeys = createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: service.key });
  app = new Hono<OptionalAuthEnv>();
  app.use("/down/*", optionalAuth({ tokens: { issuer: h.issuer(TENANT), jwksUrl: "http://127.0.0.1:9/jwks.json" } }));
  app.use("*", optionalAuth({ tokens, apiKeys }));
  const who = (c: Parameters<typeof getAuth>[0]) => {
    const auth = getAuth(c);
    return { type: auth?.type ?? null, subject: auth?.subject ?? null };
  };
  app.get("/", (c) => c.json({ ...who(c), same: c.get("auth") === getAuth(c) }));
  app.get("/down/", (c) => c.json(who(c)));
  app.get("/admin", requireScope("admin"), (c) => c.json(who(c)));
});
afterAll(async () => {
  await h?.close();
});

const get = (path: string, authorization?: string) =>
  app.request(path, { headers: authorization === undefined ? {} : { Authorization: authorization } });

describe("optionalAuth", () => {
  it("lets a request without a Bearer credential through, with no principal", async () => {
    for (const authorization of [undefined, "", "Basic dXNlcjpwYXNz", "Token abc"]) {
      const response = await get("/", authorization);
      expect(response.status, String(authorization)).toBe(200);
      expect(await response.json()).toEqual({ type: null, subject: null, same: true });
    }
  });

  it("names the caller of a valid token or API key", async () => {
    expect(await (await get("/", `Bearer ${user.access_token}`)).json()).toEqual({
      type: "access_token",
      subject: user.user.id,
      same: true,
    });
    expect(await (await get("/", `Bearer ${userKey}`)).json()).toMatchObject({
      type: "api_key",
      subject: user.user.id,
    });
  });

  it("never treats a presented but bad credential as anonymous", async () => {
    const [header, payload] = user.access_token.split(".");
    for (const token of ["not-a-token", `${header}.${payload}.AAAA`, "sk_wrong"]) {
      const response = await get("/", `Bearer ${token}`);
      expect(response.status, token).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
    expect((await get("/", "Bearer ")).status).toBe(400);
    expect((await get("/", "Bearer a b")).status).toBe(400);
  });

  it("answers 503 for a token whose keys cannot be fetched, and still serves anonymous callers", async () => {
    expect((await get("/down/", `Bearer ${user.access_token}`)).status).toBe(503);
    expect(await (await get("/down/")).json()).toEqual({ type: null, subject: null });
  });
});

describe("requireScope behind optionalAuth", () => {
  it("asks an anonymous caller to authenticate, under the issuer's realm", async () => {
    const response = await get("/admin");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="${h.issuer(TENANT)}"`);
  });

  it("refuses a caller without the scope", async () => {
    const response = await get("/admin", `Bearer ${user.access_token}`);
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="admin"');
  });
});
