/** Security headers on every kind of response the app gives, errors and redirects included. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  const api = appClient(t);
  await api.createTenant("sec");
  await api.redirectUris("sec", ["https://app.example/cb"]);
});
afterAll(async () => {
  await t.close();
});

function expectHardened(response: Response) {
  expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("strict-transport-security")).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
}

describe("security headers", () => {
  it.each([
    ["200 JSON", () => t.app.request("/healthz")],
    ["404 problem", () => t.app.request("/no/such/route")],
    ["404 tenant", () => t.app.request("/t/nobody/v1/me")],
    ["401 challenge", () => t.app.request("/t/sec/v1/me")],
    ["400 validation", () => t.app.request("/t/sec/v1/login", { method: "POST", headers: JSON_HEADERS, body: "{}" })],
    ["415", () => t.app.request("/t/sec/v1/login", { method: "POST", body: "x" })],
    ["302 redirect", () => t.app.request("/t/sec/v1/oauth/none/authorize?redirect_uri=https%3A%2F%2Fapp.example%2Fcb")],
    ["JWKS", () => t.app.request("/t/sec/.well-known/jwks.json")],
  ])("are on a %s response", async (_name, request) => {
    const response = await request();
    expectHardened(response);
    expect(response.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
  });

  it("give /docs a policy of its own: nonce'd scripts and styles, nothing from another origin", async () => {
    const response = await t.app.request("/docs");
    expectHardened(response);
    const policy = response.headers.get("content-security-policy");
    expect(policy).toMatch(/^default-src 'none'; script-src 'nonce-[\w-]+'; style-src 'nonce-[\w-]+'; /);
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toMatch(/unsafe-|https:/);
  });

  it("keep the API's policy on the /docs assets and on a policy a response brings elsewhere", async () => {
    const html = await (await t.app.request("/docs")).text();
    const script = /src="(\/docs\/assets\/[^"]+)"/.exec(html)?.[1] ?? "";
    const response = await t.app.request(script);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });
});
