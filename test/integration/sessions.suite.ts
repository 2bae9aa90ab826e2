/**
 * Refresh-token rotation, expiry and Redis loss through the whole app on real
 * Postgres and Redis, with a pinned clock.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerLiveKey } from "../../src/core/sessions/session-state.js";
import type { TokenBody } from "../support/accounts.js";
import { decode } from "../support/accounts.js";
import type { RedisUnderTest } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

/** The suite, on the Redis `redis` names (sessions.test.ts: one server; sessions-cluster.test.ts: a cluster). */
export function sessionRefreshSuite(label: string, redis: () => RedisUnderTest): void {
  describe(label, () => {
    let s: SessionsApp;
    beforeAll(async () => {
      s = await startSessionsApp(redis());
    });
    afterAll(async () => {
      await s.close();
    });

    describe("refresh rotation", () => {
      it("returns a refresh token at signup and login, tied to the session", async () => {
        const first = await s.signup();
        expect(first.refresh_token).toMatch(/^rt1\./);
        expect(first.refresh_expires_in).toBe(30 * 86_400);
        expect(decode(first.access_token).claims.sid).toBe(first.session_id);
        const row = await s.sessionRow(first.session_id);
        expect(row.refresh_generation).toBe(0);
        // Only a hash is stored, never the token.
        expect(JSON.stringify(row)).not.toContain(first.refresh_token);
      });

      it("spends the presented token and returns a new pair for the same session", async () => {
        const first = await s.signup();
        s.clock.advance(60_000);
        const second = await s.refreshOk("acme", first.refresh_token);
        expect(second.refresh_token).not.toBe(first.refresh_token);
        expect(second.session_id).toBe(first.session_id);
        expect(decode(second.access_token).claims).toMatchObject({ sid: first.session_id, sub: first.user.id });
        expect((await s.api.me("acme", second.access_token)).status).toBe(200);
        // The ledger holds the rotation by the time the answer arrives (no background write to wait for).
        const row = await s.sessionRow(first.session_id);
        expect(row.refresh_generation).toBe(1);
        expect((row.last_used_at as Date).getTime()).toBe(s.clock.now().getTime());
      });

      it("still answers when the ledger write fails (Redis holds the rotation), with the gap on record", async () => {
        const first = await s.signup();
        const repository = s.t.services.db.sessions;
        const recordRotations = repository.recordRotations;
        repository.recordRotations = async () => {
          throw new Error("connection refused");
        };
        try {
          const second = await s.refreshOk("acme", first.refresh_token);
          expect(second.session_id).toBe(first.session_id);
        } finally {
          repository.recordRotations = recordRotations;
        }
        expect((await s.sessionRow(first.session_id)).refresh_generation).toBe(0);
        const line = s.logLines.map((l) => JSON.parse(l)).find((l) => l.event === "ledger_write_failed");
        expect(line).toMatchObject({ session_id: first.session_id, generation: 1 });
      });

      it("gives 20 concurrent refreshes of one token exactly one successor and keeps the session", async () => {
        const first = await s.signup();
        const answers = await Promise.all(Array.from({ length: 20 }, () => s.api.refresh("acme", first.refresh_token)));
        const bodies = (await Promise.all(answers.map((r) => r.json()))) as TokenBody[];
        expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
        expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
        const successor = bodies[0]?.refresh_token ?? "";
        const next = await s.refreshOk("acme", successor);
        expect((await s.api.me("acme", next.access_token)).status).toBe(200);
      });

      it("answers a retry inside the grace window with the same successor and a fresh access token", async () => {
        const first = await s.signup();
        const a = await s.refreshOk("acme", first.refresh_token);
        s.clock.advance(9_000);
        const b = await s.refreshOk("acme", first.refresh_token);
        expect(b.refresh_token).toBe(a.refresh_token);
        expect(b.access_token).not.toBe(a.access_token);
        expect((await s.api.me("acme", b.access_token)).status).toBe(200);
      });

      it("revokes the whole session when a spent token comes back after the grace window", async () => {
        const first = await s.signup();
        const second = await s.refreshOk("acme", first.refresh_token);
        s.clock.advance(11_000);
        await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
        // The family is dead: the legitimate successor and every access token stop working.
        await s.expectInvalidGrant(await s.api.refresh("acme", second.refresh_token));
        await s.expectRevoked("acme", second.access_token);
        await s.expectRevoked("acme", first.access_token);
        const row = await s.sessionRow(first.session_id);
        expect(row.revoked_reason).toBe("refresh_token_reuse");
        expect(s.logLines.some((line) => line.includes("refresh_token_reuse"))).toBe(true);
      });

      it("refuses unspent a refresh that waited past half the grace period, so a client's retry cannot become reuse", async () => {
        const first = await s.signup();
        const { limiter } = s.t.services;
        const decide = limiter.decide;
        let release = () => {};
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        // An overloaded service: the first request stalls after it arrived, before its rotation.
        limiter.decide = async (...args) => {
          limiter.decide = decide;
          await gate;
          return decide.apply(limiter, args);
        };
        const stalled = s.api.refresh("acme", first.refresh_token);
        // Its client gave up and retried; the retry rotated the token.
        s.clock.advance(10_000);
        const retried = await s.refreshOk("acme", first.refresh_token);
        // The stalled request reaches its rotation more than the grace period after the retry's.
        s.clock.advance(11_000);
        release();
        const late = await stalled;
        expect(late.status).toBe(503);
        expect(late.headers.get("retry-after")).not.toBeNull();
        // Not taken for reuse: the session and the retry's tokens live on.
        expect((await s.sessionRow(first.session_id)).revoked_at).toBeNull();
        expect((await s.api.me("acme", retried.access_token)).status).toBe(200);
        const next = await s.refreshOk("acme", retried.refresh_token);
        expect(next.session_id).toBe(first.session_id);
      });

      it("treats any older token of the session as reuse, not only the last one", async () => {
        const first = await s.signup();
        const second = await s.refreshOk("acme", first.refresh_token);
        s.clock.advance(11_000);
        const third = await s.refreshOk("acme", second.refresh_token);
        s.clock.advance(11_000);
        await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
        await s.expectInvalidGrant(await s.api.refresh("acme", third.refresh_token));
      });

      it("does not let a forged token naming a real session revoke it", async () => {
        const first = await s.signup();
        const [prefixPart, body] = first.refresh_token.split(".");
        const bytes = Buffer.from(body ?? "", "base64url");
        bytes[30] = (bytes[30] ?? 0) ^ 0xff; // other random bytes, same session and generation
        const forged = `${prefixPart}.${bytes.toString("base64url")}.${first.refresh_token.split(".")[2]}`;
        await s.expectInvalidGrant(await s.api.refresh("acme", forged));
        await s.refreshOk("acme", first.refresh_token);
      });
    });

    describe("expiry", () => {
      it("slides the idle timeout at each refresh, never past the absolute lifetime", async () => {
        const first = await s.signup("short");
        expect(first.refresh_expires_in).toBe(3600);
        let token = first.refresh_token;
        for (let i = 0; i < 2; i++) {
          s.clock.advance(50 * 60_000);
          const next = await s.refreshOk("short", token);
          expect(next.refresh_expires_in).toBe(3600);
          token = next.refresh_token;
        }
        s.clock.advance(50 * 60_000); // 150 min in: the absolute cap (180 min) is 30 min away
        const capped = await s.refreshOk("short", token);
        expect(capped.refresh_expires_in).toBe(30 * 60);
        // A minute before the end: the access token ends with the session, not a full lifetime later.
        s.clock.advance(29 * 60_000);
        const last = await s.refreshOk("short", capped.refresh_token);
        expect(last.refresh_expires_in).toBe(60);
        expect(last.expires_in).toBe(60);
        const { claims } = decode(last.access_token);
        expect(Number(claims.exp) - Number(claims.iat)).toBe(60);
        s.clock.advance(60_000);
        await s.expectInvalidGrant(await s.api.refresh("short", last.refresh_token));
        s.clock.advance(6_000); // past the verifier's 5 s of skew
        expect((await s.api.me("short", last.access_token)).status).toBe(401);
      });

      it("refuses a refresh in the second the session ends, whose access token would expire as issued", async () => {
        s.clock.advance(500); // a session that ends half-way through a second
        let token = (await s.signup("short")).refresh_token;
        for (let i = 0; i < 3; i++) {
          s.clock.advance(50 * 60_000);
          token = (await s.refreshOk("short", token)).refresh_token;
        }
        s.clock.advance(30 * 60_000 - 300); // 0.3 s before its absolute end (180 min), in the same second
        await s.expectInvalidGrant(await s.api.refresh("short", token));
        s.clock.advance(300 + 500);
      });

      it("ends a session left idle longer than the idle timeout", async () => {
        const first = await s.signup("short");
        s.clock.advance(3600_000);
        await s.expectInvalidGrant(await s.api.refresh("short", first.refresh_token));
      });
    });

    describe("Redis loss", () => {
      it("keeps a live session's access token working after the loss: the ledger vouches for it, once", async () => {
        const first = await s.signup();
        await s.loseRedisData();
        const answers = await Promise.all(Array.from({ length: 3 }, () => s.api.me("acme", first.access_token)));
        expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
        expect(await s.t.deps.kv.get(ledgerLiveKey(first.session_id))).toBe("1");
        expect(s.logLines.some((line) => line.includes("blocklist_refilled"))).toBe(false);
      });

      it("keeps sessions working after Redis lost everything, and the token still rotates exactly once", async () => {
        const first = await s.signup();
        const rotated = await s.refreshOk("acme", first.refresh_token);
        await s.t.services.background.drain();
        await s.loseRedisData();
        const answers = await Promise.all(
          Array.from({ length: 5 }, () => s.api.refresh("acme", rotated.refresh_token)),
        );
        expect(answers.map((r) => r.status)).toEqual(Array(5).fill(200));
        const bodies = (await Promise.all(answers.map((r) => r.json()))) as TokenBody[];
        expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
        // Reuse detection survives: the token spent before the loss is still reuse.
        s.clock.advance(11_000);
        await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
        await s.expectRevoked("acme", bodies[0]?.access_token ?? "");
      });

      it("accepts a token newer than the ledger once (the ledger write had not landed)", async () => {
        const first = await s.signup();
        const second = await s.refreshOk("acme", first.refresh_token);
        await s.t.services.background.drain();
        await s.db.query("UPDATE sessions SET refresh_generation = 0 WHERE id = $1", [first.session_id]);
        await s.loseRedisData();
        const third = await s.refreshOk("acme", second.refresh_token);
        s.clock.advance(11_000);
        await s.expectInvalidGrant(await s.api.refresh("acme", second.refresh_token));
        await s.expectInvalidGrant(await s.api.refresh("acme", third.refresh_token));
      });

      it("keeps a session revoked before the loss revoked, refresh and access token alike", async () => {
        const first = await s.signup();
        expect((await s.api.logout("acme", first.access_token)).status).toBe(204);
        await s.loseRedisData();
        await s.expectRevoked("acme", first.access_token);
        await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
      });
    });
  });
}
