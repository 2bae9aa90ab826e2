/**
 * A newcomer's first requests: `GET /` (a page, or JSON for
 * `Accept: application/json`) and the bootstrap admin key sent where a user's
 * access token belongs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { readAnswer } from "../support/problem.js";
import { REDIS_URL } from "../support/services.js";

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const DISCOVERY = "/t/default/.well-known/openid-configuration";

let t: TestApp;
let production: TestApp;

beforeAll(async () => {
  // The template database has no tenant: `default` appears in the second half of the GET / tests.
  t = await startTestApp();
  await appClient(t).createTenant("first");
  production = await startTestApp({}, { APP_ENV: "production", DATABASE_URL: "postgres://unused/x", REDIS_URL });
  await appClient(production).createTenant("default");
  await appClient(production).createTenant("secret-customer");
});
afterAll(async () => {
  await Promise.all([t?.close(), production?.close()]);
});

const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);

describe("GET /", () => {
  it("answers a browser with a page of links in the hosted pages' frame, under their CSP", async () => {
    const response = await t.app.request("/", { headers: { Accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("vary")).toMatch(/Accept/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/^default-src 'none'; style-src 'self' 'nonce-[\w-]+'; img-src 'self'; /);
    expect(policy).toContain("form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    // No script of any kind on this page.
    expect(policy).not.toContain("script-src");
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    expect(html).not.toContain("<script");
    // Without a `default` tenant: no discovery link, the pattern in words.
    expect(hrefs(html)).toEqual([
      expect.stringMatching(/^\/assets\/hosted\.css\?v=/),
      "/docs",
      "/openapi.json",
      "/healthz",
      "/readyz",
    ]);
    expect(html).toContain("/t/{tenant}/.well-known/openid-configuration");
  });

  it("answers curl's Accept: */* (and no Accept at all) with the page too", async () => {
    for (const headers of [{ Accept: "*/*" }, {}] as Record<string, string>[]) {
      const response = await t.app.request("/", { headers });
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    }
  });

  it("answers Accept: application/json with the same links as absolute URLs", async () => {
    const answer = await readAnswer(await t.app.request("/", { headers: { Accept: "application/json" } }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(answer.headers.get("vary")).toMatch(/Accept/);
    expect(answer.json).toEqual({
      docs: `${TEST_PUBLIC_URL}/docs`,
      openapi: `${TEST_PUBLIC_URL}/openapi.json`,
      discovery: null,
      discovery_pattern: `${TEST_PUBLIC_URL}/t/{tenant}/.well-known/openid-configuration`,
      health: `${TEST_PUBLIC_URL}/healthz`,
      readiness: `${TEST_PUBLIC_URL}/readyz`,
    });
    // Every link it gives answers.
    for (const path of ["/openapi.json", "/healthz", "/readyz"]) expect((await t.app.request(path)).status).toBe(200);
  });

  it("picks JSON or HTML by the client's stated preference", async () => {
    const json = await t.app.request("/", { headers: { Accept: "text/html;q=0.5, application/json" } });
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    const html = await t.app.request("/", { headers: { Accept: "application/json;q=0.1, text/html" } });
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("links the default tenant's discovery document once that tenant exists, and the link answers", async () => {
    await appClient(t).createTenant("default");
    const html = await (await t.app.request("/", { headers: { Accept: BROWSER_ACCEPT } })).text();
    expect(hrefs(html)).toContain(DISCOVERY);
    const json = await readAnswer(await t.app.request("/", { headers: { Accept: "application/json" } }));
    expect(json.json.discovery).toBe(`${TEST_PUBLIC_URL}${DISCOVERY}`);
    expect((await t.app.request(DISCOVERY)).status).toBe(200);
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    for (const accept of [BROWSER_ACCEPT, "application/json"]) {
      const response = await t.app.request("/", { method: "HEAD", headers: { Accept: accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(accept === BROWSER_ACCEPT ? /^text\/html/ : /json/);
      expect(await response.text()).toBe("");
    }
  });

  it("tells nothing more in production: no version, no tenant but the default one", async () => {
    const html = await (await production.app.request("/", { headers: { Accept: BROWSER_ACCEPT } })).text();
    const json = await (await production.app.request("/", { headers: { Accept: "application/json" } })).text();
    for (const body of [html, json]) {
      expect(body).toContain(DISCOVERY);
      expect(body).not.toContain("secret-customer");
      expect(body).not.toContain("first");
      expect(body).not.toMatch(/\d+\.\d+\.\d+|version|production|node|hono/i);
    }
    expect(Object.keys(JSON.parse(json)).sort()).toEqual([
      "discovery",
      "discovery_pattern",
      "docs",
      "health",
      "openapi",
      "readiness",
    ]);
  });
});

describe("the bootstrap admin key at a user route", () => {
  it("is refused with a detail saying the route needs a user's access token and what the key is for", async () => {
    const answer = await readAnswer(
      await t.app.request("/t/first/v1/me", { headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` } }),
    );
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: "invalid_token" });
    expect(answer.json.detail).toMatch(/needs a user's access token .*bootstrap admin key .*\/v1\/admin/);
    expect(answer.headers.get("www-authenticate")).toMatch(
      /^Bearer realm=".+", error="invalid_token", error_description="This route needs a user's access token/,
    );
    expect(answer.text).not.toContain(TEST_ADMIN_KEY);
  });

  it("is the only credential that gets this detail: a near guess of the key gets the usual one", async () => {
    const guess = `${TEST_ADMIN_KEY.slice(0, -1)}x`;
    for (const token of [guess, TEST_ADMIN_KEY.slice(0, 20), "sk_not_an_access_token"]) {
      const answer = await readAnswer(
        await t.app.request("/t/first/v1/me", { headers: { Authorization: `Bearer ${token}` } }),
      );
      expect(answer.status).toBe(401);
      expect(answer.json.code).toBe("invalid_token");
      expect(answer.json.detail).not.toMatch(/bootstrap/);
    }
  });

  it("still opens the admin routes it is meant for", async () => {
    const response = await t.app.request("/t/first/v1/admin/users", {
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(response.status).toBe(200);
  });
});
