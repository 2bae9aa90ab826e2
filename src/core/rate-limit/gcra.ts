import type { AtomicScript } from "../ports/key-value.js";

/**
 * One rate-limit decision, atomically: the generic cell rate algorithm
 * (GCRA). A key holds only its theoretical arrival time (TAT), so a limit of
 * `limit` requests per `period` costs one small string per active client,
 * allows a burst of `limit`, then one request every `period / limit`: with no
 * fixed-window edge, any span of `period` holds at most 2·limit − 1 (a full
 * burst, then the steady rate), and a client that keeps going gets `limit`.
 *
 * KEYS[1] the client's key; ARGV[1] now (ms, from the injected clock),
 * ARGV[2] period (ms), ARGV[3] limit. Returns
 * [allowed 0|1, remaining, retry-after ms, ms until fully replenished].
 *
 * The stored TAT is read as at most `now + period` of the policy given now:
 * under one policy it never gets further (a full burst), but one written under
 * an earlier, longer window or lower rate can be hours out, and a raised or
 * shortened limit would then keep a throttled client waiting longer than the
 * window it advertises (RateLimit-Policy). Clamped, Retry-After is at most one
 * emission interval and RateLimit-Reset at most the window; a refusal writes
 * the clamped TAT back, so the Retry-After it gives holds.
 */
export interface GcraDecision {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

function decide(stored: number | null, now: number, period: number, limit: number) {
  const interval = period / limit;
  const clamped = stored !== null && stored > now + period;
  const tat = clamped ? now + period : Math.max(stored ?? now, now);
  const next = tat + interval;
  const allowAt = next - period;
  if (now < allowAt) {
    // A clamped TAT is written back, or the Retry-After just given would not hold.
    const store = clamped ? tat : null;
    return { allowed: 0, remaining: 0, retryAfter: Math.ceil(allowAt - now), reset: Math.ceil(tat - now), store };
  }
  return {
    allowed: 1,
    remaining: Math.floor((period - (next - now)) / interval + 1e-9),
    retryAfter: 0,
    reset: Math.ceil(next - now),
    store: next,
  };
}

export const gcra: AtomicScript<GcraDecision> = {
  name: "rate_limit_gcra",
  lua: `local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local interval = period / limit
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = now
if stored and stored > now then tat = stored end
local clamped = tat > now + period
if clamped then tat = now + period end
local nxt = tat + interval
local allow_at = nxt - period
if now < allow_at then
  if clamped then redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now)) end
  return {0, 0, math.ceil(allow_at - now), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.ceil(nxt - now))
return {1, math.floor((period - (nxt - now)) / interval + 1e-9), 0, math.ceil(nxt - now)}`,
  memory(store, [key = ""], [now = "0", period = "0", limit = "1"]) {
    const raw = store.get(key);
    const result = decide(raw === null ? null : Number(raw), Number(now), Number(period), Number(limit));
    if (result.store !== null) store.set(key, result.store.toFixed(3), Math.ceil(result.store - Number(now)));
    return [result.allowed, result.remaining, result.retryAfter, result.reset];
  },
  decode(raw) {
    const [allowed, remaining, retryAfterMs, resetMs] = (raw as number[]).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    return { allowed: allowed === 1, remaining, retryAfterMs, resetMs };
  },
};

/**
 * Gives one allowed request back: the key's TAT moves one interval earlier
 * (not before now), for a request that was let through and then did nothing
 * (a signing-key rotation that lost to a concurrent one). KEYS[1] the key;
 * ARGV[1] now (ms), ARGV[2] period (ms), ARGV[3] limit. Returns 1 when
 * something was given back. The stored TAT is clamped to `now + period` first,
 * as `gcra` reads it, so a refund after a policy change still gives one back.
 */
export const gcraRefund: AtomicScript<boolean> = {
  name: "rate_limit_gcra_refund",
  lua: `local now = tonumber(ARGV[1])
local stored = tonumber(redis.call('GET', KEYS[1]))
if not stored or stored <= now then return 0 end
local period = tonumber(ARGV[2])
if stored > now + period then stored = now + period end
local tat = stored - period / tonumber(ARGV[3])
if tat <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now))
end
return 1`,
  memory(store, [key = ""], [now = "0", period = "0", limit = "1"]) {
    const raw = store.get(key);
    const t = Number(now);
    if (raw === null || Number(raw) <= t) return 0;
    const tat = Math.min(Number(raw), t + Number(period)) - Number(period) / Number(limit);
    if (tat <= t) store.del(key);
    else store.set(key, tat.toFixed(3), Math.ceil(tat - t));
    return 1;
  },
  decode: (raw) => Number(raw) === 1,
};
