/**
 * Retries of idempotent calls: bounded, exponential backoff with full jitter,
 * and the service's `Retry-After` honoured on 429 and 503.
 */
import type { Result } from "./result.js";

export interface RetryOptions {
  /** Retries after the first attempt (0 disables them). Default 2. */
  retries?: number;
  /** Base of the exponential backoff. Default 200 ms. */
  baseDelayMs?: number;
  /** Cap of one wait, also for `Retry-After`: a longer `Retry-After` ends the retries. Default 10 s. */
  maxDelayMs?: number;
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 200, maxDelayMs: 10_000 };
/** However it is configured, no call is sent more than this many times. */
const MAX_RETRIES = 10;

const nonNegative = (value: unknown, name: string): number => {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a finite number >= 0`);
  }
  return value;
};

/** A whole policy from a count or partial options (over `base`). Throws on nonsense. */
export function retryPolicy(input: number | RetryOptions | undefined, base: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  if (input === undefined) return base;
  const options = typeof input === "number" ? { retries: input } : input;
  const retries = Math.floor(nonNegative(options.retries ?? base.retries, "retries"));
  if (retries > MAX_RETRIES) throw new TypeError(`retries must be at most ${MAX_RETRIES}`);
  return {
    retries,
    baseDelayMs: nonNegative(options.baseDelayMs ?? base.baseDelayMs, "baseDelayMs"),
    maxDelayMs: nonNegative(options.maxDelayMs ?? base.maxDelayMs, "maxDelayMs"),
  };
}

/** Statuses worth another attempt of an idempotent call. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryable(result: Result<unknown>): boolean {
  if (result.ok) return false;
  if (result.kind === "network" || result.kind === "timeout") return true;
  return result.kind === "http" && RETRYABLE_STATUS.has(result.status);
}

/**
 * How long to wait before retry number `retry` (0-based), or undefined when
 * the service asked for a longer wait than the policy allows.
 */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  failure: Result<unknown>,
  random = Math.random,
): number | undefined {
  const asked =
    !failure.ok && (failure.status === 429 || failure.status === 503) ? failure.problem.retryAfter : undefined;
  if (asked !== undefined) {
    const ms = asked * 1000;
    return ms > policy.maxDelayMs ? undefined : ms;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Waits `ms`; false when `signal` aborted first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
