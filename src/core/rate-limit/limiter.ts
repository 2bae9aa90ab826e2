import type { Clock } from "../ports/clock.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import { type GcraDecision, gcra, gcraRefund } from "./gcra.js";
import type { Limit } from "./limits.js";

/** How long decisions are skipped (fail open / closed at once) after Redis failed to answer one. */
const CIRCUIT_OPEN_MS = 5_000;

/**
 * GCRA decisions in Redis, one atomic script each, shared by every limit of
 * a process (per client network, tenant lookups, key rotations).
 *
 * A circuit breaker: after a failed decision, callers stop waiting on Redis
 * (each failed call can take the store's command timeout, REDIS_COMMAND_TIMEOUT:
 * a Redis that stopped answering fails that way too) for CIRCUIT_OPEN_MS,
 * then one call tries again. One error line per opening, with the count of
 * decisions skipped while it was open.
 */
export class RateLimiter {
  private openUntil = Number.NEGATIVE_INFINITY;
  private skipped = 0;

  constructor(private readonly deps: { kv: KeyValueStore; clock: Clock; logger: Logger }) {}

  /**
   * The decision for one request against `key`, or undefined when Redis
   * cannot be asked; the caller then fails open or closed as its limit says.
   */
  async decide(name: string, key: string, { limit, windowSeconds }: Limit): Promise<GcraDecision | undefined> {
    const { kv, clock, logger } = this.deps;
    if (clock.now().getTime() < this.openUntil) {
      this.skipped++;
      return undefined;
    }
    try {
      return await kv.run(gcra, [key], [clock.now().getTime(), windowSeconds * 1000, limit]);
    } catch (error) {
      this.openUntil = clock.now().getTime() + CIRCUIT_OPEN_MS;
      logger.error("rate_limiter_unavailable", { limit: name, error: (error as Error).name, skipped: this.skipped });
      this.skipped = 0;
      return undefined;
    }
  }

  /**
   * Gives back one request `decide` allowed against `key` (a request that then
   * did nothing). Best effort: with Redis unreachable the request stays counted.
   */
  async refund(name: string, key: string, { limit, windowSeconds }: Limit): Promise<void> {
    const { kv, clock, logger } = this.deps;
    try {
      await kv.run(gcraRefund, [key], [clock.now().getTime(), windowSeconds * 1000, limit]);
    } catch (error) {
      logger.warn("rate_limit_refund_failed", { limit: name, error: (error as Error).name });
    }
  }
}
