/**
 * One authorization request yields at most one provider session and one
 * code: two overlapping submits of the same login (or consent) form get one
 * 303 with a code and one page saying the sign-in is complete. A submit
 * after the request was answered (a second click, Back) gets that page too,
 * with a link back to the client, and an expired request or a lost CSRF
 * cookie links back to the client when it is known. On real Redis, on the
 * in-memory store and through the Worker's Upstash adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashBridge } from "../../scripts/dev/upstash-rest-bridge.js";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { UpstashKeyValueStore } from "../../src/adapters/redis/upstash.js";
import { systemClock } from "../../src/core/ports/clock.js";
import type { KeyValueStore } from "../../src/core/ports/key-value.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { formsOf, pkce, redeemCode, registerClient, TestBrowser } from "../support/hosted.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";

const TENANT = "twice";
const APP = "https://twice.example/cb";
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };

/** The app's store under test, and what to clean up after it (beyond what the test app's close does). */
type Store = { kv?: KeyValueStore; close?: () => Promise<void> };

/** @upstash/redis (the Worker's adapter) through the REST bridge onto real Redis, under a prefix of its own. */
async function upstash(): Promise<Store> {
  const prefix = testPrefix();
  const bridge = await startUpstashBridge({ token: crypto.randomUUID(), redisUrl: REDIS_URL });
  const kv = new UpstashKeyValueStore({ url: bridge.url, token: bridge.token, prefix });
  return {
    kv,
    close: async () => {
      await deletePrefix(prefix);
      await bridge.close();
    },
  };
}

describe.each<[string, () => Promise<Store>]>([
  ["Redis", async () => ({})],
  ["the in-memory store", async () => ({ kv: new MemoryKeyValueStore(systemClock) })],
  ["Upstash (REST)", upstash],
])("on %s", (_label, store) => {
  let t: TestApp;
  let opened: Store;
  let tenantId: string;
  const clients: Record<"firstParty" | "thirdParty", string> = { firstParty: "", thirdParty: "" };
  let n = 0;

  beforeAll(async () => {
    opened = await store();
    t = await startTestApp(opened.kv ? { kv: opened.kv } : {});
    tenantId = (await appClient(t).createTenant(TENANT)).id;
    const request = t.app.request.bind(t.app);
    clients.firstParty = (
      await registerClient(request, TENANT, { redirect_uris: [APP], name: "Board", first_party: true })
    ).client_id;
    clients.thirdParty = (await registerClient(request, TENANT, { redirect_uris: [APP], name: "Notes" })).client_id;
  });
  afterAll(async () => {
    await t?.close();
    await opened?.close?.();
  });

  /** A new user (signed up through the API, which makes one session) and a browser at the login page of a new request. */
  async function atLogin(client: keyof typeof clients) {
    const email = `u${n++}@example.com`;
    const signup = await appClient(t).signup(TENANT, email);
    const userId = ((await signup.json()) as { user: { id: string } }).user.id;
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clients[client],
      redirect_uri: APP,
      scope: "openid",
      state: "s-1",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const login = (await browser.get(`/t/${TENANT}/authorize?${query}`)).headers.get("location") ?? "";
    const requestId = new URL(login, "http://localhost").searchParams.get("request") ?? "";
    expect(requestId).toMatch(/^[\w-]{43}$/);
    const html = await (await browser.get(login)).text();
    return { email, userId, browser, html, requestId, verifier, clientId: clients[client] };
  }

  const sessionsOf = async (userId: string) => {
    const response = await t.app.request(`/t/${TENANT}/v1/admin/users/${userId}/sessions`, { headers: admin });
    return ((await response.json()) as { sessions: unknown[] }).sessions.length;
  };

  /** Of two answers, the one with a code at the client and the other one. */
  function split(answers: Response[]) {
    const issued = answers.filter((a) => a.status === 303 && (a.headers.get("location") ?? "").startsWith(`${APP}?`));
    const others = answers.filter((a) => !issued.includes(a));
    return { issued, others };
  }

  it("two overlapping login submits: one code, one session; the other is told the sign-in is complete", async () => {
    const at = await atLogin("firstParty");
    const before = await sessionsOf(at.userId);
    const fields = { ...formsOf(at.html)[0]?.fields, email: at.email, password: GOOD_PASSWORD };
    const answers = await Promise.all([
      at.browser.post(`/t/${TENANT}/login`, fields),
      at.browser.post(`/t/${TENANT}/login`, fields),
    ]);
    const { issued, others } = split(answers);
    expect(issued).toHaveLength(1);
    expect(others.map((a) => a.status)).toEqual([409]);
    expect(await others[0]?.text()).toContain("This sign-in is already complete.");
    expect(await sessionsOf(at.userId)).toBe(before + 1);
    const code = new URL(issued[0]?.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const redeemed = await redeemCode(t.app.request.bind(t.app), TENANT, {
      code,
      clientId: at.clientId,
      redirectUri: APP,
      verifier: at.verifier,
    });
    expect(redeemed.status).toBe(200);
  });

  it("two overlapping consent submits: one code", async () => {
    const at = await atLogin("thirdParty");
    const toConsent = await at.browser.submit(at.html, { email: at.email, password: GOOD_PASSWORD });
    expect(toConsent.headers.get("location")).toBe(`/t/${TENANT}/consent?request=${at.requestId}`);
    const html = await (await at.browser.get(`/t/${TENANT}/consent?request=${at.requestId}`)).text();
    const fields = { ...formsOf(html)[0]?.fields, decision: "allow" };
    const answers = await Promise.all([
      at.browser.post(`/t/${TENANT}/consent`, fields),
      at.browser.post(`/t/${TENANT}/consent`, fields),
    ]);
    const { issued, others } = split(answers);
    expect(issued).toHaveLength(1);
    expect(others.map((a) => a.status)).toEqual([409]);
  });

  it("a submit after the answer (Back, a late second click) says so and links back to the client", async () => {
    const at = await atLogin("firstParty");
    const fields = { ...formsOf(at.html)[0]?.fields, email: at.email, password: GOOD_PASSWORD };
    expect((await at.browser.post(`/t/${TENANT}/login`, fields)).status).toBe(303);
    const again = await at.browser.post(`/t/${TENANT}/login`, fields);
    expect(again.status).toBe(409);
    const html = await again.text();
    expect(html).toContain("This sign-in is already complete.");
    expect(html).toContain('<a href="https://twice.example/">Return to the application</a>');
    // A wrong password does not spend the request: the right one then signs in.
    const other = await atLogin("firstParty");
    const otherFields = { ...formsOf(other.html)[0]?.fields, email: other.email };
    expect((await other.browser.post(`/t/${TENANT}/login`, { ...otherFields, password: "wrong" })).status).toBe(401);
    const right = await other.browser.post(`/t/${TENANT}/login`, { ...otherFields, password: GOOD_PASSWORD });
    expect(right.headers.get("location")).toMatch(/^https:\/\/twice\.example\/cb\?code=/);
  });

  it("form pages load the form guard, served by the app, versioned and immutable", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const page = await browser.get(`/t/${TENANT}/signup`);
    const href = /<script src="(\/assets\/forms\.js\?v=[0-9a-f]{8})"/.exec(await page.text())?.[1] ?? "";
    expect(href).not.toBe("");
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[\w-]{22}'; form-action/);
    const script = await t.app.request(href);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await script.text()).toContain('addEventListener("submit"');
  });

  it("an expired request and a lost CSRF cookie link back to the client", async () => {
    const at = await atLogin("firstParty");
    const fields = { ...formsOf(at.html)[0]?.fields, email: at.email, password: GOOD_PASSWORD };
    const csrfLost = new TestBrowser(t.app.request.bind(t.app));
    const refused = await csrfLost.post(`/t/${TENANT}/login`, fields);
    expect(refused.status).toBe(403);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain("Go back to the application and sign in again.");
    expect(refusedHtml).toContain('<a href="https://twice.example/">Return to the application</a>');
    // The request outlives nothing: past its time it is gone, its trail remains.
    await t.deps.kv.del(`authz-request:${tenantId}:${at.requestId}`);
    const expired = await at.browser.post(`/t/${TENANT}/login`, fields);
    expect(expired.status).toBe(400);
    const html = await expired.text();
    expect(html).toContain("This sign-in took too long and has expired.");
    expect(html).toContain('<a href="https://twice.example/">Return to the application</a>');
  });
});
