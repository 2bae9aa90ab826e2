/**
 * Answers of bearer-protected routes hold the user's own data: none may be
 * kept by a cache (RFC 9111 §5.2.2.5 no-store), unless a route says otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireAccessToken } from "../../src/http/middleware/bearer.js";
import { appClient, type TokenBody } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";

let t: TestApp;
let token = "";
const bearer = () => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await startTestApp();
  // A bearer route that chooses its own caching, added beside the app's.
  t.app.get("/t/:tenant/v1/test/cached", requireAccessToken(), (c) => {
    c.header("Cache-Control", "private, max-age=60");
    return c.json({ cached: true });
  });
  const api = appClient(t);
  await api.createTenant("cache");
  const signup = await api.signup("cache", "cache@example.com");
  expect(signup.status).toBe(201);
  token = ((await signup.json()) as TokenBody).access_token;
});
afterAll(async () => {
  await t?.close();
});

describe("Cache-Control on bearer-protected routes", () => {
  it.each([
    "/t/cache/v1/me",
    "/t/cache/v1/sessions",
    "/t/cache/v1/api-keys",
    "/t/cache/v1/consents",
    "/t/cache/v1/mfa/factors",
    "/t/cache/v1/mfa/passkeys",
    "/t/cache/v1/userinfo",
  ])("GET %s answers no-store", async (path) => {
    const response = await t.app.request(path, { headers: bearer() });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("also on a route's refusal, and on a write", async () => {
    const missing = await t.app.request(`/t/cache/v1/sessions/${crypto.randomUUID()}`, {
      method: "DELETE",
      headers: bearer(),
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-control")).toBe("no-store");
    const created = await t.app.request("/t/cache/v1/api-keys", {
      method: "POST",
      headers: { ...bearer(), "Content-Type": "application/json" },
      body: JSON.stringify({ name: "ci", scopes: [] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
  });

  it("keeps a Cache-Control the route set itself", async () => {
    const response = await t.app.request("/t/cache/v1/test/cached", { headers: bearer() });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("private, max-age=60");
  });

  it("leaves routes without a bearer token as they were", async () => {
    const jwks = await t.app.request("/t/cache/.well-known/jwks.json");
    expect(jwks.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
  });
});
