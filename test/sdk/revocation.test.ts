/**
 * Revocation awareness (`checkRevocation: "introspect"`) against the real
 * service: a token whose session was logged out or deleted is refused once
 * the cached verdict runs out (at once without a cache), verdicts are cached
 * for a bounded time (never past the token's exp, bounded in number), one
 * request serves concurrent checks, and an unreachable introspection
 * endpoint fails closed (a refused credential: credential-refused.test.ts).
 */
import { createVerifier, type Verifier } from "@authority/sdk";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { countingFetch, type SdkHarness, startSdkHarness } from "./support.js";

let h: SdkHarness;
let introspectKey: string;
const TENANT = "rev";

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant(TENANT);
  introspectKey = (await h.serviceKey(TENANT, ["tokens:introspect"])).key;
});
afterAll(async () => {
  await h?.close();
});

function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (seconds: number) => (offset += seconds * 1000) };
}

function introspecting(
  extra: { cacheTtlMs?: number; maxEntries?: number; now?: () => number; apiKey?: string; url?: string } = {},
) {
  const counting = countingFetch();
  const verifier: Verifier = createVerifier({
    issuer: h.issuer(TENANT),
    audience: h.issuer(TENANT),
    fetch: counting.fetch,
    cache: false,
    ...(extra.now ? { now: extra.now } : {}),
    checkRevocation: "introspect",
    introspection: {
      apiKey: extra.apiKey ?? introspectKey,
      ...(extra.url ? { url: extra.url } : {}),
      ...(extra.cacheTtlMs !== undefined ? { cacheTtlMs: extra.cacheTtlMs } : {}),
      ...(extra.maxEntries !== undefined ? { maxEntries: extra.maxEntries } : {}),
      timeoutMs: 1_000,
    },
  });
  return { verifier, introspections: () => counting.count("/v1/introspect") };
}

const logout = (token: string, refresh: string) =>
  fetch(`${h.issuer(TENANT)}/v1/logout`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ refresh_token: refresh }),
  });

describe("checkRevocation: introspect", () => {
  it("refuses a logged-out token at once when nothing is cached", async () => {
    const { verifier, introspections } = introspecting({ cacheTtlMs: 0 });
    const user = await h.signup(TENANT);
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect((await logout(user.access_token, user.refresh_token)).status).toBe(204);
    expect(await verifier.verify(user.access_token)).toMatchObject({
      ok: false,
      error: "invalid_token",
      reason: "revoked",
    });
    expect(introspections()).toBe(2);
    // The revoked verdict is kept (until exp): no further request.
    expect(await verifier.verify(user.access_token)).toMatchObject({ ok: false, reason: "revoked" });
    expect(introspections()).toBe(2);
  });

  it("caches an active verdict for cacheTtlMs (default 30 s), then sees the revocation", async () => {
    const time = clock();
    const { verifier, introspections } = introspecting({ now: time.now });
    const user = await h.signup(TENANT);
    for (let i = 0; i < 10; i++) expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(introspections()).toBe(1);
    const sessions = (await (await h.api.sessions(TENANT, user.access_token)).json()) as { sessions: { id: string }[] };
    const deleted = await h.api.deleteSession(TENANT, user.access_token, sessions.sessions[0]?.id as string);
    expect(deleted.status).toBe(204);
    time.advance(29);
    expect((await verifier.verify(user.access_token)).ok).toBe(true); // the bound: at most cacheTtlMs late
    expect(introspections()).toBe(1);
    time.advance(2);
    expect(await verifier.verify(user.access_token)).toMatchObject({ ok: false, reason: "revoked" });
    expect(introspections()).toBe(2);
  });

  it("never keeps an active verdict past the token's exp", async () => {
    const user = await h.signup(TENANT);
    const exp = decodeJwt(user.access_token).exp as number;
    let at = (exp - 10) * 1000;
    const { verifier, introspections } = introspecting({ now: () => at, cacheTtlMs: 300_000 });
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(introspections()).toBe(1);
    at = (exp + 5) * 1000; // expired, but within the 60 s skew: still locally valid
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(introspections()).toBe(2);
  });

  it("bounds the number of verdicts kept", async () => {
    const { verifier, introspections } = introspecting({ maxEntries: 2 });
    const users = await Promise.all([h.signup(TENANT), h.signup(TENANT), h.signup(TENANT)]);
    for (const user of users) expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(introspections()).toBe(3);
    // The oldest was dropped for the third; the newest two are still there.
    expect((await verifier.verify(users[2]?.access_token as string)).ok).toBe(true);
    expect((await verifier.verify(users[1]?.access_token as string)).ok).toBe(true);
    expect(introspections()).toBe(3);
    expect((await verifier.verify(users[0]?.access_token as string)).ok).toBe(true);
    expect(introspections()).toBe(4);
  });

  it("asks once for concurrent verifications of one token", async () => {
    const { verifier, introspections } = introspecting();
    const user = await h.signup(TENANT);
    const results = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(user.access_token)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(introspections()).toBe(1);
  });

  it("does not introspect tokens that fail locally", async () => {
    const { verifier, introspections } = introspecting();
    const user = await h.signup(TENANT);
    const [a, b] = user.access_token.split(".");
    expect(await verifier.verify(`${a}.${b}.AAAA`)).toMatchObject({ ok: false, reason: "signature" });
    expect(introspections()).toBe(0);
  });

  it("fails closed when introspection is unreachable, and caches nothing", async () => {
    const user = await h.signup(TENANT);
    const down = introspecting({ url: "http://127.0.0.1:9/v1/introspect" });
    for (let i = 0; i < 2; i++) {
      expect(await down.verifier.verify(user.access_token)).toMatchObject({
        ok: false,
        error: "temporarily_unavailable",
        reason: "introspection_unavailable",
      });
    }
    expect(down.introspections()).toBe(2); // asked again: nothing was cached
  });
});
