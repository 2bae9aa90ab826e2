import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { AppError } from "../../src/core/errors.js";
import type { KeyValueStore } from "../../src/core/ports/key-value.js";
import { noopMetrics } from "../../src/core/ports/telemetry.js";
import { gcra, gcraRefund } from "../../src/core/rate-limit/gcra.js";
import { type LoginAttempt, LoginThrottle } from "../../src/core/rate-limit/login-throttle.js";
import type { ThrottlePolicy } from "../../src/core/rate-limit/login-throttle-scripts.js";
import type { KeyValueHarness } from "./key-value.contract.js";

const T0 = Date.UTC(2026, 10, 29, 9);

/** Small numbers, so every branch of the policy is reached in a few steps. */
const POLICY: ThrottlePolicy = {
  backoffAfter: 3,
  baseBackoffMs: 1_000,
  maxBackoffMs: 8_000,
  pairMemoryMs: 3_600_000,
  perNetworkContribution: 3,
  lockThreshold: 6,
  accountWindowMs: 60_000,
  lockMs: 30_000,
  knownMs: 86_400_000,
};

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; retryAfter: string }> {
  const error = await promise.then(
    () => expect.unreachable("admitted"),
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw error;
  return { status: error.status, code: error.code, retryAfter: error.headers["Retry-After"] ?? "" };
}

/**
 * The rate-limit scripts (GCRA, login throttle) on one Redis port adapter:
 * the Lua and the memory twin must decide alike. Time is an argument, so
 * the cases are exact on a real server too.
 */
export function rateLimitContract(name: string, open: () => Promise<KeyValueHarness>): void {
  describe(`rate-limit scripts: ${name}`, () => {
    let h: KeyValueHarness;
    let kv: KeyValueStore;
    let n = 0;
    const key = (label: string) => `rl-contract:${label}:${Date.now()}:${n++}`;

    beforeAll(async () => {
      h = await open();
      kv = h.store;
    });
    afterAll(async () => {
      await h.close();
    });

    describe("GCRA", () => {
      const decide = (k: string, now: number, periodMs = 3_000, limit = 3) => kv.run(gcra, [k], [now, periodMs, limit]);

      it("allows a burst of `limit`, then one request per period/limit", async () => {
        const k = key("burst");
        expect(await decide(k, T0)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0, resetMs: 1_000 });
        expect(await decide(k, T0)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0, resetMs: 2_000 });
        expect(await decide(k, T0)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 3_000 });
        expect(await decide(k, T0)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1_000, resetMs: 3_000 });
        expect(await decide(k, T0 + 400)).toMatchObject({ allowed: false, retryAfterMs: 600 });
        // One emission interval later exactly one more fits.
        expect(await decide(k, T0 + 1_000)).toMatchObject({ allowed: true, remaining: 0 });
        expect(await decide(k, T0 + 1_000)).toMatchObject({ allowed: false });
        // A quiet period refills the whole burst, never more.
        expect(await decide(k, T0 + 60_000)).toMatchObject({ allowed: true, remaining: 2 });
      });

      it("does not charge refused requests (a client hammering while refused is not pushed further out)", async () => {
        const k = key("refused");
        for (let i = 0; i < 3; i++) await decide(k, T0);
        for (let i = 0; i < 50; i++) expect((await decide(k, T0 + 500)).allowed).toBe(false);
        expect((await decide(k, T0 + 1_000)).allowed).toBe(true);
      });

      it("keeps its key no longer than the time to refill", async () => {
        const k = key("ttl");
        await decide(k, Date.now(), 60_000, 10);
        const ttl = await kv.ttl(k);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(6_000);
      });

      it("admits exactly `limit` of many concurrent requests", async () => {
        const k = key("concurrent");
        const results = await Promise.all(Array.from({ length: 25 }, () => decide(k, T0, 60_000, 7)));
        expect(results.filter((r) => r.allowed)).toHaveLength(7);
        expect(
          results
            .filter((r) => r.allowed)
            .map((r) => r.remaining)
            .sort(),
        ).toEqual([0, 1, 2, 3, 4, 5, 6]);
      });

      it("never makes a client wait longer than the window of a limit raised after it was throttled", async () => {
        const k = key("raised");
        // 3 per hour: the burst spent, the TAT is an hour out.
        for (let i = 0; i < 3; i++) await decide(k, T0, 3_600_000, 3);
        expect(await decide(k, T0, 3_600_000, 3)).toMatchObject({ allowed: false, retryAfterMs: 1_200_000 });
        // Raised to 1000 per minute: throttled as if the new burst were spent, no more.
        expect(await decide(k, T0, 60_000, 1_000)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 60,
          resetMs: 60_000,
        });
        expect(await decide(k, T0 + 60, 60_000, 1_000)).toMatchObject({ allowed: true, remaining: 0 });
        // The window later, the whole new burst.
        expect(await decide(k, T0 + 120_000, 60_000, 1_000)).toMatchObject({ allowed: true, remaining: 999 });
      });

      it("never makes a client wait longer than a window shortened after it was throttled", async () => {
        const k = key("shortened");
        for (let i = 0; i < 2; i++) await decide(k, T0, 300_000, 2);
        expect((await decide(k, T0, 300_000, 2)).allowed).toBe(false);
        // 2 per 10 s: Retry-After one interval, RateLimit-Reset the window.
        expect(await decide(k, T0, 10_000, 2)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 5_000,
          resetMs: 10_000,
        });
        expect(await decide(k, T0 + 5_000, 10_000, 2)).toMatchObject({ allowed: true, remaining: 0 });
      });
    });

    describe("GCRA refund", () => {
      const decide = (k: string, now: number) => kv.run(gcra, [k], [now, 3_000, 3]);
      const refund = (k: string, now: number) => kv.run(gcraRefund, [k], [now, 3_000, 3]);

      it("gives back one allowed request, never more than were taken", async () => {
        const k = key("refund");
        for (let i = 0; i < 3; i++) await decide(k, T0);
        expect((await decide(k, T0)).allowed).toBe(false);
        expect(await refund(k, T0)).toBe(true);
        expect(await decide(k, T0)).toMatchObject({ allowed: true, remaining: 0 });
        // Refunds beyond what was taken leave a full burst, not more.
        for (let i = 0; i < 5; i++) await refund(k, T0);
        expect(await kv.get(k)).toBeNull();
        for (let i = 0; i < 3; i++) expect((await decide(k, T0)).allowed).toBe(true);
        expect((await decide(k, T0)).allowed).toBe(false);
      });

      it("gives one back under a policy with a shorter window than the one that took it", async () => {
        const k = key("refund-shortened");
        for (let i = 0; i < 3; i++) await kv.run(gcra, [k], [T0, 3_600_000, 3]);
        expect(await refund(k, T0)).toBe(true);
        expect(await decide(k, T0)).toMatchObject({ allowed: true, remaining: 0 });
        expect((await decide(k, T0)).allowed).toBe(false);
      });

      it("does nothing to a key that is absent or already replenished", async () => {
        const k = key("refund-none");
        expect(await refund(k, T0)).toBe(false);
        await decide(k, T0);
        expect(await refund(k, T0 + 5_000)).toBe(false);
      });
    });

    describe("login throttle", () => {
      let now = T0;
      let throttle: LoginThrottle;
      let account: string;
      const at = (network: string): LoginAttempt => ({ tenantId: "tenant-1", account, network });
      /** Admitted attempts that fail (the gate counts them; `failed` only logs a lock). */
      const fail = async (network: string, times = 1) => {
        for (let i = 0; i < times; i++) throttle.failed(await throttle.admit(at(network)));
      };
      const succeed = async (network: string) => throttle.succeeded(await throttle.admit(at(network)));
      const outcomes = async (attempts: Promise<unknown>[]) =>
        (await Promise.allSettled(attempts)).map((r) =>
          r.status === "fulfilled" ? 200 : r.reason instanceof AppError ? r.reason.status : 500,
        );

      beforeAll(() => {
        throttle = new LoginThrottle(
          { kv, clock: { now: () => new Date(now) }, logger: silentLogger, metrics: noopMetrics },
          POLICY,
        );
      });

      const fresh = () => {
        now = T0;
        account = key("account");
      };

      it("lets a network try until its failures reach the threshold, then backs off exponentially to a cap", async () => {
        fresh();
        await fail("4:192.0.2.1", 3);
        expect(await refusal(throttle.admit(at("4:192.0.2.1")))).toEqual({
          status: 429,
          code: "rate_limited",
          retryAfter: "1",
        });
        now += 1_000;
        await fail("4:192.0.2.1"); // 4th: 2 s
        now += 1_999;
        expect((await refusal(throttle.admit(at("4:192.0.2.1")))).status).toBe(429);
        now += 1;
        await fail("4:192.0.2.1"); // 5th: 4 s
        now += 4_000;
        await fail("4:192.0.2.1"); // 6th: 8 s
        now += 8_000;
        await fail("4:192.0.2.1"); // 7th: 16 s, capped at 8 s
        expect(await refusal(throttle.admit(at("4:192.0.2.1")))).toMatchObject({ status: 429, retryAfter: "8" });
        // Another network is not slowed by the first one's failures.
        await throttle.admit(at("4:198.51.100.1"));
      });

      it("counts an attempt when it is admitted: of concurrent attempts from one network, only the allowance passes", async () => {
        fresh();
        const answers = await outcomes(Array.from({ length: 12 }, () => throttle.admit(at("4:192.0.2.2"))));
        expect(answers.filter((s) => s === 200)).toHaveLength(POLICY.backoffAfter);
        expect(answers.filter((s) => s === 429)).toHaveLength(12 - POLICY.backoffAfter);
      });

      it("lets concurrent attempts from many networks count no further than the lock", async () => {
        fresh();
        const networks = Array.from({ length: 6 }, (_, i) => `4:203.0.113.${i + 20}`);
        const answers = await outcomes(networks.flatMap((n) => Array.from({ length: 4 }, () => throttle.admit(at(n)))));
        expect(answers.filter((s) => s === 200)).toHaveLength(POLICY.lockThreshold);
        expect((await refusal(throttle.admit(at("4:203.0.113.99")))).status).toBe(423);
      });

      it("clears a network's failures when it logs in", async () => {
        fresh();
        await fail("6:20010db800000001", 3);
        expect((await refusal(throttle.admit(at("6:20010db800000001")))).status).toBe(429);
        now += 1_000;
        await succeed("6:20010db800000001");
        // The full allowance again.
        await fail("6:20010db800000001", 2);
        await throttle.admit(at("6:20010db800000001"));
      });

      it("takes a successful attempt's count back from the account", async () => {
        fresh();
        await fail("4:203.0.113.1", 2);
        await succeed("4:203.0.113.2");
        await fail("4:203.0.113.3", 3);
        // 5 failures towards the lock (threshold 6): the 6th is admitted, and locks.
        throttle.failed(await throttle.admit(at("4:203.0.113.4")));
        expect((await refusal(throttle.admit(at("4:203.0.113.5")))).status).toBe(423);
      });

      it("lifts the lock when the attempt whose count locked it succeeds", async () => {
        fresh();
        await fail("4:203.0.113.1", 3);
        await fail("4:203.0.113.2", 2);
        const sixth = await throttle.admit(at("4:203.0.113.3"));
        expect(sixth.lockedNow).toBe(true);
        expect((await refusal(throttle.admit(at("4:203.0.113.4")))).status).toBe(423);
        await throttle.succeeded(sixth);
        // Unlocked, with the 5 real failures still counted: the next one locks again.
        await fail("4:203.0.113.4");
        expect((await refusal(throttle.admit(at("4:203.0.113.5")))).status).toBe(423);
      });

      it("cannot be locked from one network: it adds at most its contribution to the account", async () => {
        fresh();
        for (let i = 0; i < 12; i++) {
          now += 60_000;
          await fail("4:203.0.113.66");
        }
        await throttle.admit(at("4:203.0.113.1"));
      });

      it("locks the account for unknown networks once several networks fail, but never for a known one", async () => {
        fresh();
        await succeed("4:198.51.100.7"); // the owner's usual network
        await fail("4:203.0.113.1", 3);
        await fail("4:203.0.113.2", 3);
        const locked = await refusal(throttle.admit(at("4:203.0.113.3")));
        expect(locked).toEqual({ status: 423, code: "account_locked", retryAfter: "30" });
        await succeed("4:198.51.100.7");
        now += 29_000;
        expect((await refusal(throttle.admit(at("4:203.0.113.9")))).retryAfter).toBe("1");
        now += 1_000;
        // The count restarted with the lock: one more failure does not lock again.
        await fail("4:203.0.113.9");
        await throttle.admit(at("4:203.0.113.10"));
      });

      /** An admitted attempt whose check throws, as when the database is down during the lookup. */
      const outage = new Error("connection terminated unexpectedly");
      const erred = async (network: string, times = 1) => {
        for (let i = 0; i < times; i++) {
          const ticket = await throttle.admit(at(network));
          await expect(throttle.checking(ticket, () => Promise.reject(outage))).rejects.toBe(outage);
        }
      };

      it("gives back an attempt whose check throws: the network's count and last failure are as before it", async () => {
        fresh();
        await fail("4:192.0.2.30", 3);
        now += 1_000;
        // Refunded, each leaves the next attempt as free as before: no backoff grows, none restarts.
        await erred("4:192.0.2.30", 10);
        expect(await throttle.checking(await throttle.admit(at("4:192.0.2.30")), async () => "checked")).toBe(
          "checked",
        );
        // That 4th attempt counts (it was not refunded): 2 s from now.
        expect(await refusal(throttle.admit(at("4:192.0.2.30")))).toMatchObject({ status: 429, retryAfter: "2" });
        // A network whose only attempts erred has no failures at all.
        await erred("4:192.0.2.31", 10);
        await fail("4:192.0.2.31", 3);
        expect((await refusal(throttle.admit(at("4:192.0.2.31")))).retryAfter).toBe("1");
      });

      it("takes an erred attempt's count back from the account, and lifts a lock it set, without making its network known", async () => {
        fresh();
        await fail("4:203.0.113.1", 3);
        await erred("4:203.0.113.2", 3);
        await erred("4:203.0.113.3", 3);
        await fail("4:203.0.113.2", 2);
        // 5 failures towards the lock (threshold 6): an erred 6th locks, then unlocks.
        const sixth = await throttle.admit(at("4:203.0.113.4"));
        expect(sixth.lockedNow).toBe(true);
        await expect(throttle.checking(sixth, () => Promise.reject(outage))).rejects.toBe(outage);
        // The same wrong guesses lock it as before: the next failure is the 6th.
        await fail("4:203.0.113.5");
        expect((await refusal(throttle.admit(at("4:203.0.113.4")))).status).toBe(423);
        expect((await refusal(throttle.admit(at("4:203.0.113.3")))).status).toBe(423);
      });

      it("forgets the lock and every network's failures when cleared (a password reset), and counts afresh", async () => {
        fresh();
        await fail("4:203.0.113.1", 3);
        await fail("4:203.0.113.2", 3);
        expect((await refusal(throttle.admit(at("4:203.0.113.3")))).status).toBe(423);
        expect((await refusal(throttle.admit(at("4:203.0.113.1")))).status).toBe(429);
        now += 1;
        await throttle.clear({ tenantId: "tenant-1", account });
        await succeed("4:203.0.113.3");
        // Failures after the clear count from zero: three before the backoff, as at first.
        await fail("4:203.0.113.1", 3);
        expect((await refusal(throttle.admit(at("4:203.0.113.1")))).status).toBe(429);
      });
    });
  });
}
