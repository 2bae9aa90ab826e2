import type { Clock } from "../ports/clock.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import type { Metrics } from "../ports/telemetry.js";
import {
  loginCleared,
  loginGate,
  loginRefunded,
  loginSucceeded,
  type ThrottlePolicy,
} from "./login-throttle-scripts.js";
import { accountLockedError, rateLimitedError, unavailableError } from "./rate-limit-errors.js";

/**
 * Brute-force protection of password logins (docs/guides/rate-limits.md):
 * - per account and client network: after 5 failures each further attempt
 *   waits 1 s, 2 s, 4 s … up to 15 min (429 `rate_limited`, Retry-After);
 *   a success from that network clears its failures;
 * - per account: 20 failures within 15 min lock it for 15 min (423
 *   `account_locked`), but each network adds at most 5, so a lock needs at
 *   least 4 networks, and networks that logged in to the account within 30
 *   days stay exempt: an attacker cannot cheaply lock a user out.
 * Unknown email addresses go through exactly the same steps (no enumeration).
 * When Redis cannot answer, logins are refused (fail closed, 503). An attempt
 * whose check fails for another reason than the credential (the database
 * down) is not counted: an outage must not throttle or lock anyone.
 */
const LOGIN_POLICY: ThrottlePolicy = {
  backoffAfter: 5,
  baseBackoffMs: 1_000,
  maxBackoffMs: 15 * 60_000,
  pairMemoryMs: 24 * 3_600_000,
  perNetworkContribution: 5,
  lockThreshold: 20,
  accountWindowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  knownMs: 30 * 86_400_000,
};

export interface LoginThrottleDeps {
  kv: KeyValueStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

/** Who is trying: the account (a keyed hash of the normalised email, never the address) and the client network. */
export interface LoginAttempt {
  tenantId: string;
  account: string;
  network: string;
}

const keys = ({ tenantId, account, network }: LoginAttempt) => {
  // One hash slot per account, so the scripts' keys stay together on Redis Cluster.
  const slot = `lt:{${tenantId}:${account}}`;
  return {
    pair: `${slot}:p:${network}`,
    account: `${slot}:a`,
    known: `${slot}:k:${network}`,
    cleared: `${slot}:c`,
  };
};

/** An admitted attempt: counted as a failure until `succeeded` (or `refund`) takes it back. */
export interface LoginTicket extends LoginAttempt {
  /** When the gate counted it (ms). */
  admittedAt: number;
  /** The network's last failure before it (ms, 0 for none). */
  previousAt: number;
  /** Counted towards the account's lock (a network adds at most its contribution). */
  contributed: boolean;
  /** Its count locked the account. */
  lockedNow: boolean;
}

export class LoginThrottle {
  constructor(
    private readonly deps: LoginThrottleDeps,
    private readonly policy: ThrottlePolicy = LOGIN_POLICY,
  ) {}

  /**
   * Throws 429 (backoff), 423 (locked) or 503 (Redis unreachable) before any
   * password is checked; otherwise counts the attempt as failed, atomically,
   * so concurrent attempts cannot all pass before one is counted.
   */
  async admit(attempt: LoginAttempt): Promise<LoginTicket> {
    const k = keys(attempt);
    const p = this.policy;
    const now = this.now();
    const outcome = await this.guard(() =>
      this.deps.kv.run(
        loginGate,
        [k.pair, k.account, k.known, k.cleared],
        [
          now,
          p.backoffAfter,
          p.baseBackoffMs,
          p.maxBackoffMs,
          p.pairMemoryMs,
          p.perNetworkContribution,
          p.lockThreshold,
          p.accountWindowMs,
          p.lockMs,
        ],
      ),
    );
    if (outcome.kind === "open") {
      const { contributed, lockedNow, previousAt } = outcome;
      return { ...attempt, contributed, lockedNow, admittedAt: now, previousAt };
    }
    this.deps.metrics.increment("logins_total", { outcome: outcome.kind === "locked" ? "locked" : "throttled" });
    this.deps.metrics.increment("rate_limit_rejections_total", { limit: "login_account", scope: "account" });
    if (outcome.kind === "locked") throw accountLockedError(outcome.retryAfterMs);
    throw rateLimitedError(outcome.retryAfterMs, "Too many failed logins from this network; wait before trying again.");
  }

  /** The attempt failed: `admit` counted it already; `userId` names the account, so a lock is logged against it. */
  failed(ticket: LoginTicket, userId?: string): void {
    if (!ticket.lockedNow) return;
    this.deps.logger.warn("account_locked", {
      tenant_id: ticket.tenantId,
      ...(userId ? { user_id: userId } : {}),
      lock_ms: this.policy.lockMs,
    });
  }

  /** The attempt succeeded: its network's failures go, the network becomes known, and its count is taken back. */
  async succeeded(ticket: LoginTicket): Promise<void> {
    const k = keys(ticket);
    const p = this.policy;
    await this.guard(() =>
      this.deps.kv.run(
        loginSucceeded,
        [k.pair, k.known, k.account],
        [p.knownMs, ticket.contributed ? 1 : 0, ticket.lockedNow ? 1 : 0, p.lockThreshold],
      ),
    );
  }

  /**
   * Runs an admitted attempt's check of the credential, which answers a wrong
   * one with its result. When the check throws instead (the database or Redis
   * failing), the attempt is refunded and the error passed on: an outage must
   * not count as failed logins, back a network off or lock the account.
   */
  async checking<T>(ticket: LoginTicket, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      // The check's error is the answer; a refund Redis refuses is logged by `guard`.
      await this.refund(ticket).catch(() => undefined);
      throw error;
    }
  }

  /** Undoes an admission exactly (see loginRefunded); unlike `succeeded`, the network gains nothing. */
  private async refund(ticket: LoginTicket): Promise<void> {
    const k = keys(ticket);
    const p = this.policy;
    await this.guard(() =>
      this.deps.kv.run(
        loginRefunded,
        [k.pair, k.account],
        [
          this.now(),
          ticket.admittedAt,
          ticket.previousAt,
          p.pairMemoryMs,
          ticket.contributed ? 1 : 0,
          ticket.lockedNow ? 1 : 0,
          p.lockThreshold,
        ],
      ),
    );
  }

  /** A password reset proved the owner: unlock the account and forget every network's failures. */
  async clear(attempt: Omit<LoginAttempt, "network">): Promise<void> {
    const k = keys({ ...attempt, network: "" });
    await this.guard(() =>
      this.deps.kv.run(loginCleared, [k.account, k.cleared], [this.now(), this.policy.pairMemoryMs]),
    );
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** Fail closed: without its counters the throttle cannot protect logins, so none is attempted. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.deps.logger.error("login_throttle_unavailable", {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw unavailableError("Logins are paused: the rate limiter cannot be reached.");
    }
  }
}
