import type { AtomicScript, MemoryScriptStore } from "../ports/key-value.js";

/**
 * The account-protection policy's state, in three keys per account (all in
 * one hash slot, `{tenant:account}`):
 * - pair  `count:lastFailureMs`: failed logins of this account from one client
 *   network (IPv4 address or IPv6 /64), kept 24 h after the last failure;
 * - account `count:lockedUntilMs`: failures counted towards the lock;
 * - known: this network logged in to this account successfully (30 days);
 * - cleared: when a password reset last cleared the account (pair entries from
 *   before it are ignored: the owner proved control of the mailbox).
 * The numbers are arguments so the contract suite can pin them.
 */
export interface ThrottlePolicy {
  /** Failures from one network before each further attempt waits (exponential backoff). */
  backoffAfter: number;
  /** First wait (ms); doubles with every further failure, up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** How long a network's failures are remembered after its last one. */
  pairMemoryMs: number;
  /** Failures one network can add to the account's count: one network alone cannot lock the account. */
  perNetworkContribution: number;
  /** Account failures (from several networks) within `accountWindowMs` that lock it. */
  lockThreshold: number;
  accountWindowMs: number;
  lockMs: number;
  /** How long a successful login makes a network known (exempt from the account lock). */
  knownMs: number;
}

export type GateOutcome =
  | { kind: "open"; contributed: boolean; lockedNow: boolean; previousAt: number }
  | { kind: "backoff"; retryAfterMs: number }
  | { kind: "locked"; retryAfterMs: number };

const parsePair = (raw: string | null): [number, number] => {
  const [count = "0", at = "0"] = (raw ?? "0:0").split(":");
  return [Number(count), Number(at)];
};

const backoffMs = (failures: number, p: Pick<ThrottlePolicy, "backoffAfter" | "baseBackoffMs" | "maxBackoffMs">) =>
  failures < p.backoffAfter ? 0 : Math.min(p.baseBackoffMs * 2 ** (failures - p.backoffAfter), p.maxBackoffMs);

/** Lua: the pair's `count, last`, or 0, 0 when absent or older than the cleared marker (KEYS index `cleared`). */
const readPair = (cleared: number) => `local count, last = 0, 0
local pair = redis.call('GET', KEYS[1])
if pair then
  count, last = string.match(pair, '^(%d+):(%d+)$')
  count = tonumber(count); last = tonumber(last)
  if last < tonumber(redis.call('GET', KEYS[${cleared}]) or '-1') then count, last = 0, 0 end
end`;

/** The memory twin of readPair. */
const pairSince = (raw: string | null, cleared: string | null): [number, number] => {
  const [count, last] = parsePair(raw);
  return raw !== null && last >= Number(cleared ?? -1) ? [count, last] : [0, 0];
};

/**
 * May this network try a password for this account now? If so, the attempt
 * is counted as a failure at once (a success refunds it): checking first and
 * counting after the password let a burst of concurrent guesses all pass the
 * gate before any of them was counted. KEYS pair, account, known, cleared;
 * ARGV now, backoffAfter, baseBackoffMs, maxBackoffMs, pairMemoryMs,
 * perNetworkContribution, lockThreshold, accountWindowMs, lockMs. Returns
 * {0|1|2 (open|backoff|locked), retry-after ms, 1 when counted towards the
 * account's lock, 1 when this attempt locked it, the network's last failure
 * before this attempt (ms, 0 for none: what a refund restores)}.
 */
export const loginGate: AtomicScript<GateOutcome> = {
  name: "login_gate",
  lua: `local now = tonumber(ARGV[1])
${readPair(4)}
if count > 0 then
  local after = tonumber(ARGV[2])
  if count >= after then
    local wait = math.min(tonumber(ARGV[3]) * 2 ^ (count - after), tonumber(ARGV[4]))
    if now < last + wait then return {1, math.ceil(last + wait - now), 0, 0} end
  end
end
local afails, locked = 0, 0
local account = redis.call('GET', KEYS[2])
if account then
  local a, l = string.match(account, '^(%d+):(%d+)$')
  afails = tonumber(a); locked = tonumber(l)
  if locked > now and redis.call('EXISTS', KEYS[3]) == 0 then return {2, locked - now, 0, 0} end
end
count = count + 1
redis.call('SET', KEYS[1], count .. ':' .. now, 'PX', ARGV[5])
if count > tonumber(ARGV[6]) then return {0, 0, 0, 0, last} end
afails = afails + 1
local now_locked = 0
if afails >= tonumber(ARGV[7]) then
  locked = now + tonumber(ARGV[9]); afails = 0; now_locked = 1
end
redis.call('SET', KEYS[2], afails .. ':' .. locked, 'PX', math.max(tonumber(ARGV[8]), locked - now))
return {0, 0, 1, now_locked, last}`,
  memory(
    store,
    [pairKey = "", accountKey = "", knownKey = "", clearedKey = ""],
    [
      now = "0",
      after = "0",
      base = "0",
      max = "0",
      pairMemory = "0",
      contribution = "0",
      threshold = "0",
      window = "0",
      lockMs = "0",
    ],
  ) {
    const t = Number(now);
    let [count, last] = pairSince(store.get(pairKey), store.get(clearedKey));
    if (count > 0) {
      const wait = backoffMs(count, {
        backoffAfter: Number(after),
        baseBackoffMs: Number(base),
        maxBackoffMs: Number(max),
      });
      if (wait > 0 && t < last + wait) return [1, Math.ceil(last + wait - t), 0, 0];
    }
    let [failures, locked] = parsePair(store.get(accountKey));
    if (locked > t && store.get(knownKey) === null) return [2, locked - t, 0, 0];
    count += 1;
    store.set(pairKey, `${count}:${t}`, Number(pairMemory));
    if (count > Number(contribution)) return [0, 0, 0, 0, last];
    failures += 1;
    let nowLocked = 0;
    if (failures >= Number(threshold)) {
      locked = t + Number(lockMs);
      failures = 0;
      nowLocked = 1;
    }
    store.set(accountKey, `${failures}:${locked}`, Math.max(Number(window), locked - t));
    return [0, 0, 1, nowLocked, last];
  },
  decode(raw) {
    const [kind, retryAfterMs, contributed, lockedNow, previousAt = 0] = (raw as number[]).map(Number) as [
      number,
      number,
      number,
      number,
      number?,
    ];
    if (kind === 1) return { kind: "backoff", retryAfterMs };
    if (kind === 2) return { kind: "locked", retryAfterMs };
    return { kind: "open", contributed: contributed === 1, lockedNow: lockedNow === 1, previousAt };
  },
};

/**
 * Lua: takes back from the account (KEYS index `account`) the failure an
 * admitted attempt counted towards its lock, lifting the lock when that
 * count was the one that locked it; its time to live stays. ARGV indexes of
 * contributed (0|1), lockedNow (0|1) and lockThreshold.
 */
const takeBackLua = (
  account: number,
  contributed: number,
  lockedNow: number,
  threshold: number,
) => `if ARGV[${contributed}] ~= '1' then return 1 end
local account = redis.call('GET', KEYS[${account}])
local ttl = redis.call('PTTL', KEYS[${account}])
if not account or ttl <= 0 then return 1 end
local afails, locked = string.match(account, '^(%d+):(%d+)$')
afails = tonumber(afails); locked = tonumber(locked)
if ARGV[${lockedNow}] == '1' then afails = tonumber(ARGV[${threshold}]) - 1; locked = 0 elseif afails > 0 then afails = afails - 1 end
redis.call('SET', KEYS[${account}], afails .. ':' .. locked, 'PX', ttl)
return 1`;

/** The memory twin of takeBackLua. */
function takeBack(
  store: MemoryScriptStore,
  accountKey: string,
  contributed: string,
  lockedNow: string,
  threshold: string,
) {
  const account = store.get(accountKey);
  const ttl = store.pttl(accountKey);
  if (contributed !== "1" || account === null || ttl <= 0) return;
  let [failures, locked] = parsePair(account);
  if (lockedNow === "1") {
    failures = Number(threshold) - 1;
    locked = 0;
  } else if (failures > 0) failures -= 1;
  store.set(accountKey, `${failures}:${locked}`, ttl);
}

/**
 * A successful login: forgets the network's failures, marks it known, and
 * takes back the failure its gate counted towards the account. KEYS pair,
 * known, account; ARGV knownMs, contributed (0|1), lockedNow (0|1), lockThreshold.
 */
export const loginSucceeded: AtomicScript<void> = {
  name: "login_succeeded",
  lua: `redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
${takeBackLua(3, 2, 3, 4)}`,
  memory(
    store,
    [pairKey = "", knownKey = "", accountKey = ""],
    [knownMs = "0", contributed = "0", lockedNow = "0", threshold = "0"],
  ) {
    store.del(pairKey);
    store.set(knownKey, "1", Number(knownMs));
    takeBack(store, accountKey, contributed, lockedNow, threshold);
    return 1;
  },
  decode: () => undefined,
};

/**
 * An attempt that ended in an error rather than a verdict on the credential
 * (the database or Redis failing): undoes its gate. The network's count goes
 * back down and, when no later attempt came, its last failure is the one
 * before again, remembered as long as it was; the account's count is taken
 * back as on success. The network does not become known. KEYS pair, account;
 * ARGV now, admittedAt, previousAt, pairMemoryMs, contributed (0|1),
 * lockedNow (0|1), lockThreshold.
 */
export const loginRefunded: AtomicScript<void> = {
  name: "login_refunded",
  lua: `local pair = redis.call('GET', KEYS[1])
if pair then
  local count, last = string.match(pair, '^(%d+):(%d+)$')
  count = tonumber(count) - 1; last = tonumber(last)
  if last == tonumber(ARGV[2]) then last = tonumber(ARGV[3]) end
  local ttl = last + tonumber(ARGV[4]) - tonumber(ARGV[1])
  if count > 0 and ttl > 0 then
    redis.call('SET', KEYS[1], count .. ':' .. last, 'PX', ttl)
  else
    redis.call('DEL', KEYS[1])
  end
end
${takeBackLua(2, 5, 6, 7)}`,
  memory(
    store,
    [pairKey = "", accountKey = ""],
    [
      now = "0",
      admittedAt = "0",
      previousAt = "0",
      pairMemory = "0",
      contributed = "0",
      lockedNow = "0",
      threshold = "0",
    ],
  ) {
    const pair = store.get(pairKey);
    if (pair !== null) {
      let [count, last] = parsePair(pair);
      count -= 1;
      if (last === Number(admittedAt)) last = Number(previousAt);
      const ttl = last + Number(pairMemory) - Number(now);
      if (count > 0 && ttl > 0) store.set(pairKey, `${count}:${last}`, ttl);
      else store.del(pairKey);
    }
    takeBack(store, accountKey, contributed, lockedNow, threshold);
    return 1;
  },
  decode: () => undefined,
};

/**
 * A password reset: the account's lock and failure count go, and every
 * network's earlier failures stop counting. KEYS account, cleared; ARGV now,
 * pairMemoryMs (the marker lives as long as a pair entry can).
 */
export const loginCleared: AtomicScript<void> = {
  name: "login_cleared",
  lua: `redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1`,
  memory(store, [accountKey = "", clearedKey = ""], [now = "0", pairMemoryMs = "0"]) {
    store.del(accountKey);
    store.set(clearedKey, now, Number(pairMemoryMs));
    return 1;
  },
  decode: () => undefined,
};
