/**
 * The SDK client's session against the real service: refresh before expiry,
 * single-flight refresh under concurrency (the service treats a spent refresh
 * token presented again as theft), 401 → refresh → retry once, pluggable and
 * shared stores, and cookie mode with a browser-like cookie jar.
 */
import { createClient, type FetchLike, memoryTokenStore } from "@authority/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countingFetch,
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  tokensOf,
  unwrap,
} from "./client-harness.js";

const APP_ORIGIN = "https://spa.example.com";
/** The tenant's refresh cookie (API.md: `__Host-refresh-{tenant}`). */
const REFRESH_COOKIE = "__Host-refresh-ses";
let s: ServedApp;
const options = (fetchImpl: FetchLike, extra: Partial<Parameters<typeof createClient>[0]> = {}) => ({
  baseUrl: s.baseUrl,
  tenant: "ses",
  fetch: fetchImpl,
  ...extra,
});

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: "ses", name: "Sessions" }));
  unwrap(await s.admin.withTenant("ses").admin.setRedirectUris([`${APP_ORIGIN}/callback`]));
});
afterAll(async () => {
  await s?.close();
});

/** A logged-in client whose stored access token counts as expired. */
async function expiredSession(fetchImpl: FetchLike, extra: Partial<Parameters<typeof createClient>[0]> = {}) {
  const c = createClient(options(fetchImpl, extra));
  unwrap(await c.signup({ email: email("s"), password: GOOD_PASSWORD }));
  const stored = await c.session.get();
  if (!stored) throw new Error("no session");
  await c.session.set({ ...stored, expiresAt: Date.now() - 1_000 });
  return { c, stored };
}

describe("single-flight refresh", () => {
  it("20 concurrent calls after expiry send exactly one refresh; everyone succeeds, nobody is logged out", async () => {
    const counting = countingFetch();
    const { c, stored } = await expiredSession(counting.fetch);
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 3 === 0 ? c.me() : i % 3 === 1 ? c.sessions.list() : c.apiKeys.list(),
    );
    const results = await Promise.all(calls);
    for (const result of results) expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(counting.count("/v1/token/refresh", "POST")).toBe(1);
    const now = await c.session.get();
    expect(now?.refreshToken).not.toBe(stored.refreshToken);
    expect(now?.sessionId).toBe(stored.sessionId);
    // The session lives on: the new refresh token works, once more exactly one request.
    unwrap(await c.refresh());
    unwrap(await c.me());
    expect(counting.count("/v1/token/refresh", "POST")).toBe(2);
    expect(unwrap(await c.sessions.list()).sessions).toHaveLength(1);
  });

  it("a 401 refreshes once and retries once; 20 concurrent 401s share that one refresh", async () => {
    const counting = countingFetch();
    const c = createClient(options(counting.fetch));
    unwrap(await c.signup({ email: email("r401"), password: GOOD_PASSWORD }));
    const stored = await c.session.get();
    if (!stored) throw new Error("no session");
    // A token the service refuses although it has not expired here (e.g. clocks apart).
    await c.session.set({ ...stored, accessToken: "eyJhbGciOiJub25lIn0.e30.x" });
    const one = await c.me();
    expect(one.ok).toBe(true);
    expect(counting.count("/v1/me")).toBe(2);
    expect(counting.count("/v1/token/refresh")).toBe(1);

    const again = await c.session.get();
    if (!again) throw new Error("no session");
    await c.session.set({ ...again, accessToken: "eyJhbGciOiJub25lIn0.e30.y" });
    const results = await Promise.all(Array.from({ length: 20 }, () => c.me()));
    for (const result of results) expect(result.ok).toBe(true);
    expect(counting.count("/v1/token/refresh")).toBe(2);
    expect(counting.count("/v1/me")).toBe(2 + 40);
  });

  it("a 401 whose refresh fails too (session revoked) returns the 401 once, without a loop, and forgets the session", async () => {
    const counting = countingFetch();
    const c = createClient(options(counting.fetch));
    const signed = tokensOf(await c.signup({ email: email("gone"), password: GOOD_PASSWORD }));
    unwrap(await s.admin.withTenant("ses").admin.revokeUserSessions(signed.user.id));
    expectFailure(await c.me(), 401, "token_revoked");
    expect(counting.count("/v1/me")).toBe(1);
    expect(counting.count("/v1/token/refresh")).toBe(1);
    expect(await c.session.get()).toBeUndefined();
    expectFailure(await c.me(), 401, "unauthorized");
    expect(counting.count("/v1/token/refresh")).toBe(1);
  });

  it("clients sharing one store share one refresh", async () => {
    const counting = countingFetch();
    const store = memoryTokenStore();
    const { c } = await expiredSession(counting.fetch, { tokenStore: store });
    const twin = createClient(options(counting.fetch, { tokenStore: store }));
    const results = await Promise.all([c.me(), twin.me(), c.refresh(), twin.refresh(), twin.sessions.list()]);
    for (const result of results) expect(result.ok).toBe(true);
    expect(counting.count("/v1/token/refresh")).toBe(1);
  });

  it("never sends the same explicit refresh token twice at once", async () => {
    const counting = countingFetch();
    const c = createClient(options(counting.fetch));
    const token = tokensOf(await c.signup({ email: email("twice"), password: GOOD_PASSWORD })).refresh_token as string;
    const [a, b] = await Promise.all([c.refresh({ refresh_token: token }), c.refresh({ refresh_token: token })]);
    expect(unwrap(a).refresh_token).toBe(unwrap(b).refresh_token);
    expect(counting.count("/v1/token/refresh")).toBe(1);
  });

  it("a session refresh and a stateless refresh of the same token share one request", async () => {
    const counting = countingFetch();
    const { c, stored } = await expiredSession(counting.fetch);
    const other = createClient(options(counting.fetch));
    const [mine, theirs] = await Promise.all([c.me(), other.refresh({ refresh_token: stored.refreshToken as string })]);
    expect(mine.ok).toBe(true);
    expect(unwrap(theirs).refresh_token).toBe((await c.session.get())?.refreshToken);
    expect(counting.count("/v1/token/refresh")).toBe(1);
  });

  it("a caller aborting its wait does not fail the shared refresh of the others", async () => {
    const counting = countingFetch(async (input, init) => {
      if (input.endsWith("/token/refresh")) await new Promise((resolve) => setTimeout(resolve, 300));
      return fetch(input, init);
    });
    const { c } = await expiredSession(counting.fetch);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const [aborted, other] = await Promise.all([c.me({ signal: controller.signal }), c.me()]);
    expect(aborted).toMatchObject({ ok: false, kind: "aborted" });
    expect(other.ok).toBe(true);
    expect(counting.count("/v1/token/refresh")).toBe(1);
  });
});

describe("refresh timing", () => {
  it("refreshes within the leeway before expiry, before the call", async () => {
    let offset = 0;
    const counting = countingFetch();
    const c = createClient(options(counting.fetch, { now: () => Date.now() + offset, refreshLeewayMs: 30_000 }));
    const tokens = tokensOf(await c.signup({ email: email("lee"), password: GOOD_PASSWORD }));
    unwrap(await c.me());
    expect(counting.count("/v1/token/refresh")).toBe(0);
    offset = (tokens.expires_in - 10) * 1000;
    unwrap(await c.me());
    expect(counting.count("/v1/token/refresh")).toBe(1);
    expect(counting.sent.at(-2)?.path).toBe("/t/ses/v1/token/refresh");
  });

  it("keeps using a still-valid token when the early refresh fails on the network; fails once it has expired", async () => {
    let offset = 0;
    let refreshDown = false;
    const counting = countingFetch((input, init) =>
      refreshDown && input.endsWith("/token/refresh")
        ? Promise.reject(new TypeError("fetch failed"))
        : fetch(input, init),
    );
    const c = createClient(options(counting.fetch, { now: () => Date.now() + offset }));
    const tokens = tokensOf(await c.signup({ email: email("net"), password: GOOD_PASSWORD }));
    refreshDown = true;
    offset = (tokens.expires_in - 5) * 1000;
    unwrap(await c.me());
    offset = (tokens.expires_in + 5) * 1000;
    const expired = await c.me();
    expect(expired).toMatchObject({ ok: false, kind: "network" });
    expect(counting.count("/v1/me")).toBe(1);
    expect(await c.session.get()).toBeDefined();
  });
});

describe("refresh failures that pass", () => {
  it("sends a refresh whose answer was lost once more at once: the service's grace period answers it, nobody is logged out", async () => {
    let offset = 0;
    let lose = 0;
    const counting = countingFetch(async (input, init) => {
      const response = await fetch(input, init);
      if (lose > 0 && input.endsWith("/token/refresh")) {
        lose -= 1;
        throw new TypeError("fetch failed"); // the service rotated the token; its answer never arrived
      }
      return response;
    });
    const c = createClient(options(counting.fetch, { now: () => Date.now() + offset }));
    const tokens = tokensOf(await c.signup({ email: email("lost"), password: GOOD_PASSWORD }));
    lose = 1;
    offset = (tokens.expires_in + 5) * 1000;
    unwrap(await c.me());
    expect(counting.count("/v1/token/refresh")).toBe(2);
    const after = await c.session.get();
    expect(after?.refreshToken).not.toBe(tokens.refresh_token);
    // The stored token is the live successor: the next refresh works.
    unwrap(await c.session.refresh());
  });

  it("keeps using a still-valid token when the refresh answers 429 or 503, and waits Retry-After before the next try", async () => {
    for (const status of [429, 503]) {
      let offset = 0;
      const counting = countingFetch((input, init) =>
        input.endsWith("/token/refresh")
          ? Promise.resolve(
              Response.json(
                { type: "about:blank", title: "Busy", status, detail: "Busy", code: "rate_limited" },
                { status, headers: { "Retry-After": "30", "Content-Type": "application/problem+json" } },
              ),
            )
          : fetch(input, init),
      );
      const c = createClient(options(counting.fetch, { now: () => Date.now() + offset }));
      const tokens = tokensOf(await c.signup({ email: email(`busy${status}`), password: GOOD_PASSWORD }));
      offset = (tokens.expires_in - 20) * 1000;
      for (let i = 0; i < 5; i++) unwrap(await c.me());
      expect(counting.count("/v1/token/refresh")).toBe(1);
      expect(counting.count("/v1/me")).toBe(5);
      offset += 31_000; // past Retry-After, and past expiry: the refresh is tried again, and its failure returned
      expect(await c.me()).toMatchObject({ ok: false, status });
      expect(counting.count("/v1/token/refresh")).toBe(2);
    }
  });

  it("logs out with the refresh token of the refresh it just made, not the spent one", async () => {
    let offset = 0;
    const counting = countingFetch();
    const c = createClient(options(counting.fetch, { now: () => Date.now() + offset }));
    const tokens = tokensOf(await c.signup({ email: email("out"), password: GOOD_PASSWORD }));
    offset = (tokens.expires_in + 5) * 1000;
    unwrap(await c.logout());
    expect(counting.count("/v1/token/refresh")).toBe(1);
    const sent = JSON.parse(counting.sent.at(-1)?.body ?? "{}") as { refresh_token?: string };
    expect(counting.sent.at(-1)?.path).toBe("/t/ses/v1/logout");
    expect(sent.refresh_token).toBeDefined();
    expect(sent.refresh_token).not.toBe(tokens.refresh_token);
  });

  it("answers a success without tokens as invalid_response and keeps the stored session", async () => {
    let fake = false;
    const counting = countingFetch((input, init) =>
      fake && input.endsWith("/v1/login") ? Promise.resolve(Response.json({ hello: 1 })) : fetch(input, init),
    );
    const c = createClient(options(counting.fetch));
    const address = email("fake");
    tokensOf(await c.signup({ email: address, password: GOOD_PASSWORD }));
    const before = await c.session.get();
    fake = true;
    const faked = await c.login({ email: address, password: GOOD_PASSWORD });
    expect(faked).toMatchObject({
      ok: false,
      kind: "invalid_response",
      status: 200,
    });
    expect(await c.session.get()).toEqual(before);
    unwrap(await c.me());
  });
});

/** A browser's cookie handling for the service's origin: cookies only with `credentials: "include"`, Origin always. */
function browserLike() {
  const jar = new Map<string, string>();
  const credentials: (string | undefined)[] = [];
  const counting = countingFetch(async (input, init) => {
    credentials.push(init.credentials);
    const headers = new Headers(init.headers);
    headers.set("Origin", APP_ORIGIN);
    const include = init.credentials === "include";
    if (include && jar.size > 0) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(input, { ...init, headers });
    for (const cookie of include ? response.headers.getSetCookie() : []) {
      const [pair = ""] = cookie.split(";");
      const [name = "", value = ""] = pair.split("=");
      if (value === "" || /max-age=0/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  });
  return { jar, credentials, ...counting };
}

describe("cookie mode", () => {
  it("logs in by cookie, refreshes by cookie (after expiry and after a reload), logs out and clears it", async () => {
    const browser = browserLike();
    const c = createClient(options(browser.fetch, { cookie: true }));
    const address = email("cookie");
    const signed = tokensOf(await c.signup({ email: address, password: GOOD_PASSWORD }));
    expect(signed.refresh_token).toBeUndefined();
    expect(browser.jar.get(REFRESH_COOKIE)).toEqual(expect.any(String));
    expect(browser.sent[0]?.body).toContain('"cookie":true');
    expect(browser.credentials[0]).toBe("include");
    const stored = await c.session.get();
    expect(stored).toMatchObject({ cookie: true });
    expect(stored?.refreshToken).toBeUndefined();

    // Expired: the refresh goes by cookie, and the cookie rotates.
    const cookieBefore = browser.jar.get(REFRESH_COOKIE);
    await c.session.set({ ...(stored as NonNullable<typeof stored>), expiresAt: Date.now() - 1 });
    const results = await Promise.all(Array.from({ length: 5 }, () => c.me()));
    for (const result of results) expect(result.ok).toBe(true);
    expect(browser.count("/v1/token/refresh")).toBe(1);
    expect(browser.jar.get(REFRESH_COOKIE)).not.toBe(cookieBefore);

    // A reload: nothing in memory, the cookie is still there.
    const reloaded = createClient(options(browser.fetch, { cookie: true }));
    expect(unwrap(await reloaded.me())).toMatchObject({ email: address });
    expect(browser.count("/v1/token/refresh")).toBe(2);
    expect((await reloaded.session.get())?.cookie).toBe(true);

    expect((await reloaded.logout()).status).toBe(204);
    expect(browser.jar.has(REFRESH_COOKIE)).toBe(false);
    expect(await reloaded.session.get()).toBeUndefined();
    const afterLogout = createClient(options(browser.fetch, { cookie: true }));
    expectFailure(await afterLogout.me(), 401, "unauthorized");
  });

  it("login with cookie: true on a body-mode client; an explicit cookie refresh restores a session", async () => {
    const browser = browserLike();
    const address = email("mixed");
    unwrap(await createClient(options(browser.fetch)).signup({ email: address, password: GOOD_PASSWORD }));
    expect(browser.jar.size).toBe(0);
    const c = createClient(options(browser.fetch));
    unwrap(await c.login({ email: address, password: GOOD_PASSWORD, cookie: true }));
    expect(browser.jar.has(REFRESH_COOKIE)).toBe(true);
    const fresh = createClient(options(browser.fetch));
    expectFailure(await fresh.refresh(), 0, "no_session");
    unwrap(await fresh.refresh({ cookie: true }));
    expect(unwrap(await fresh.me())).toMatchObject({ email: address });
  });
});
