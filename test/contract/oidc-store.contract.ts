import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { sha256Base64Url } from "../../src/core/crypto/digest.js";
import { AuthorizationCodes, type AuthorizationGrant } from "../../src/core/oidc/authorization-codes.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { SessionStore } from "../../src/core/sessions/session-store.js";
import type { KeyValueHarness } from "./key-value.contract.js";

const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636 Appendix B

const tenant = (id: string) => ({ id, slug: id, settings: {} }) as unknown as Tenant;

/**
 * Authorization codes and provider sessions' children on one Redis port
 * adapter: the scripts' Lua (ioredis, Upstash) and their memory twins must
 * agree on every outcome.
 */
export function oidcStoreContract(name: string, open: () => Promise<KeyValueHarness>): void {
  describe(`authorization codes: ${name}`, () => {
    let h: KeyValueHarness;
    let codes: AuthorizationCodes;
    const revoked: string[] = [];
    const acme = tenant(crypto.randomUUID());
    const grant: AuthorizationGrant = {
      clientId: "spa",
      redirectUri: "https://app.example/cb",
      userId: crypto.randomUUID(),
      providerSessionId: crypto.randomUUID(),
      scope: "openid email",
      nonce: "n-0S6_WzA2Mj",
      codeChallenge: CHALLENGE,
      authTime: 1_780_000_000,
      amr: ["pwd"],
    };
    const shown = {
      clientId: "spa",
      publicClient: true,
      redirectUri: "https://app.example/cb",
      codeVerifier: VERIFIER,
    };

    beforeAll(async () => {
      h = await open();
      codes = new AuthorizationCodes({
        kv: h.store,
        random: cryptoRandom,
        logger: silentLogger,
        sessions: {
          revoke: async (_tenant, sessionId) => {
            revoked.push(sessionId);
            return true;
          },
        },
      });
    });
    afterAll(async () => {
      await h.close();
    });

    it("issues 43-character codes whose hash alone is stored, for 60 s", async () => {
      const code = await codes.issue(acme, grant);
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const key = `authz-code:{${acme.id}:${await sha256Base64Url(code)}}`;
      expect(JSON.parse((await h.store.get(key)) ?? "null")).toEqual(grant);
      const ttl = (await h.store.ttl(key)) ?? 0;
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it("redeems once; a second presentation revokes the session issued from it", async () => {
      const code = await codes.issue(acme, grant);
      const sid = crypto.randomUUID();
      expect(await codes.redeem(acme, code, shown, sid)).toEqual({ ok: true, grant });
      expect(revoked).not.toContain(sid);
      const again = await codes.redeem(acme, code, shown, crypto.randomUUID());
      expect(again).toEqual({ ok: false, reason: expect.stringMatching(/already used/) });
      expect(revoked).toContain(sid);
    });

    it("misses at another tenant without spending the code", async () => {
      const code = await codes.issue(acme, grant);
      const other = await codes.redeem(tenant(crypto.randomUUID()), code, shown, crypto.randomUUID());
      expect(other).toEqual({ ok: false, reason: expect.stringMatching(/unknown/) });
      expect((await codes.redeem(acme, code, shown, crypto.randomUUID())).ok).toBe(true);
    });

    it.each([
      ["another client", { clientId: "other" }, /another client/],
      ["another redirect_uri", { redirectUri: "https://app.example/cb/" }, /redirect_uri/],
      ["no redirect_uri", { redirectUri: undefined }, /redirect_uri/],
      ["no code_verifier", { codeVerifier: undefined }, /code_verifier is required/],
      ["a short code_verifier", { codeVerifier: "abc" }, /43-128/],
      ["a wrong code_verifier", { codeVerifier: VERIFIER.replace("d", "e") }, /does not match/],
      ["the challenge as verifier (plain)", { codeVerifier: CHALLENGE }, /does not match/],
    ])("refuses %s, spends the code and revokes nothing later", async (_what, change, reason) => {
      const code = await codes.issue(acme, grant);
      const before = revoked.length;
      expect(await codes.redeem(acme, code, { ...shown, ...change }, crypto.randomUUID())).toEqual({
        ok: false,
        reason: expect.stringMatching(reason),
      });
      expect(await codes.redeem(acme, code, shown, crypto.randomUUID())).toEqual({
        ok: false,
        reason: expect.stringMatching(/unknown/),
      });
      expect(revoked.length).toBe(before);
    });

    it("redeems a confidential client's code issued without PKCE, and refuses a verifier for it (RFC 9700 §2.1.1 downgrade)", async () => {
      const unbound = { ...grant, codeChallenge: null };
      const confidential = { ...shown, publicClient: false };
      const code = await codes.issue(acme, unbound);
      expect(await codes.redeem(acme, code, { ...confidential, codeVerifier: undefined }, crypto.randomUUID())).toEqual(
        { ok: true, grant: unbound },
      );
      const downgraded = await codes.issue(acme, unbound);
      expect(await codes.redeem(acme, downgraded, confidential, crypto.randomUUID())).toEqual({
        ok: false,
        reason: expect.stringMatching(/had no code_challenge/),
      });
    });

    it("refuses a code issued without PKCE to a client that is public now, and spends it", async () => {
      const unbound = { ...grant, codeChallenge: null };
      const code = await codes.issue(acme, unbound);
      const bare = { ...shown, codeVerifier: undefined };
      expect(await codes.redeem(acme, code, bare, crypto.randomUUID())).toEqual({
        ok: false,
        reason: expect.stringMatching(/code_verifier is required/),
      });
      const spent = await codes.redeem(acme, code, { ...bare, publicClient: false }, crypto.randomUUID());
      expect(spent).toEqual({ ok: false, reason: expect.stringMatching(/unknown/) });
    });

    it("refuses unknown, empty and oversized codes", async () => {
      for (const code of ["", "x".repeat(43), "x".repeat(10_000)]) {
        expect((await codes.redeem(acme, code, shown, crypto.randomUUID())).ok).toBe(false);
      }
    });

    it("expires a code after 60 s", async () => {
      const code = await codes.issue(acme, grant);
      const key = `authz-code:{${acme.id}:${await sha256Base64Url(code)}}`;
      // A real server is not waited on for a minute: the TTL was checked above, here it is made short.
      await h.store.set(key, JSON.stringify(grant), { ttlMs: 50 });
      await h.elapse(120);
      expect((await codes.redeem(acme, code, shown, crypto.randomUUID())).ok).toBe(false);
    });

    it("refuses to issue for a challenge that is not S256", async () => {
      await expect(codes.issue(acme, { ...grant, codeChallenge: "plain-challenge" })).rejects.toThrow(TypeError);
    });
  });

  describe(`provider session children: ${name}`, () => {
    let h: KeyValueHarness;
    let store: SessionStore;

    beforeAll(async () => {
      h = await open();
      store = new SessionStore(h.store);
    });
    afterAll(async () => {
      await h.close();
    });

    it("records children, extends the list's lifetime, and hands them out once", async () => {
      const parent = crypto.randomUUID();
      const [a = "", b = ""] = [crypto.randomUUID(), crypto.randomUUID()];
      expect(await store.addChild(parent, a, 5_000)).toBe(true);
      expect(await store.addChild(parent, b, 60_000)).toBe(true);
      expect(await h.store.ttl(`sess-children:{${parent}}`)).toBeGreaterThan(50_000);
      expect(await store.takeChildren(parent)).toEqual([a, b]);
      expect(await store.takeChildren(parent)).toEqual([]);
    });

    it("refuses a child once the parent is revoked", async () => {
      const parent = crypto.randomUUID();
      await store.revoke(parent, 60_000, "logout");
      expect(await store.addChild(parent, crypto.randomUUID(), 60_000)).toBe(false);
      expect(await store.takeChildren(parent)).toEqual([]);
    });
  });
}
