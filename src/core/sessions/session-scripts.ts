import type { AtomicScript, MemoryScriptStore, ScriptValue } from "../ports/key-value.js";
import { decodeClaims, type SessionClaims } from "./session-state.js";

export type RotateOutcome =
  | { kind: "revoked" | "missing" | "expired" | "foreign" }
  | { kind: "reuse"; claims: SessionClaims | null }
  | { kind: "rotated"; generation: number; idleExpiresAt: number; absoluteExpiresAt: number; claims: SessionClaims }
  | {
      kind: "grace";
      sealedSuccessor: string;
      generation: number;
      idleExpiresAt: number;
      absoluteExpiresAt: number;
      claims: SessionClaims;
    };

const STATE = /^(\d+)\|([^|]*)\|(\d+)\|(\d+)\|(.*)$/s;
const GRACE = /^([^|]*)\|(\d+)\|(.*)$/s;

/**
 * Spends a refresh token, atomically (RFC 9700 §4.14.2 rotation):
 * - the current token: the session moves to the next generation (its idle
 *   expiry slides, never past the absolute one) and the successor is kept,
 *   sealed, for the grace window;
 * - the token spent just before, inside the grace window: the same successor;
 * - any other genuine token of the session (spent, or a fork): reuse, the
 *   session is revoked at once (state gone, `revoked:{sid}` set).
 * With no state in Redis the caller passes the ledger's state as a seed; a
 * token newer than the seed (the ledger write had not landed) is accepted
 * once, an older one is reuse.
 * A token of another client than the caller's is `foreign` and changes nothing:
 * without its client's authentication it can neither be spent nor set off reuse
 * detection (RFC 6749 §6, §10.4).
 *
 * KEYS: sess, grace, revoked. ARGV: generation, hash, successor hash, sealed
 * successor, now ms, grace ms, idle ttl ms, revoked ttl ms, seed ('' = none),
 * the caller's client as the claims' JSON member (`,"c":"…"`, see clientMember).
 */
export const rotateRefreshToken: AtomicScript<RotateOutcome> = {
  name: "rotate_refresh_token",
  lua: `if redis.call('EXISTS', KEYS[3]) == 1 then return {'revoked'} end
local raw = redis.call('GET', KEYS[1])
local seeded = false
if not raw then
  if ARGV[9] == '' then return {'missing'} end
  raw = ARGV[9]
  seeded = true
end
local gen, hash, idle, abs, blob = string.match(raw, '^(%d+)|([^|]*)|(%d+)|(%d+)|(.*)$')
if not gen then return {'missing'} end
if not string.find(blob, ARGV[10], 1, true) then return {'foreign'} end
gen = tonumber(gen)
idle = tonumber(idle)
abs = tonumber(abs)
local pgen = tonumber(ARGV[1])
local now = tonumber(ARGV[5])
if now >= idle or now >= abs then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'expired'}
end
if (pgen == gen and ARGV[2] == hash) or (seeded and pgen > gen) then
  local ngen = pgen + 1
  local nidle = math.min(now + tonumber(ARGV[7]), abs)
  redis.call('SET', KEYS[1], string.format('%d|%s|%d|%d|%s', ngen, ARGV[3], nidle, abs, blob), 'PX', string.format('%d', nidle - now))
  redis.call('SET', KEYS[2], string.format('%s|%d|%s', ARGV[2], now, ARGV[4]), 'PX', ARGV[6])
  return {'rotated', string.format('%d', ngen), string.format('%d', nidle), string.format('%d', abs), blob}
end
if pgen == gen - 1 then
  local grace = redis.call('GET', KEYS[2])
  if grace then
    local ghash, gat, sealed = string.match(grace, '^([^|]*)|(%d+)|(.*)$')
    if ghash == ARGV[2] and now - tonumber(gat) <= tonumber(ARGV[6]) then
      return {'grace', sealed, string.format('%d', gen), string.format('%d', idle), string.format('%d', abs), blob}
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], 'reuse', 'PX', ARGV[8])
return {'reuse', blob}`,
  memory(store: MemoryScriptStore, [stateKey = "", graceKey = "", revokedKey = ""], args: string[]): ScriptValue {
    const [pGen, pHash = "", nextHash, sealed, nowText, graceMs, idleTtl, revokedTtl, seed = "", client = ""] = args;
    if (store.get(revokedKey) !== null) return ["revoked"];
    let raw = store.get(stateKey);
    const seeded = raw === null;
    if (raw === null) {
      if (seed === "") return ["missing"];
      raw = seed;
    }
    const match = STATE.exec(raw);
    if (!match) return ["missing"];
    const [, genText, hash, idleText, absText, blob = ""] = match;
    if (!blob.includes(client)) return ["foreign"];
    const gen = Number(genText);
    const idle = Number(idleText);
    const abs = Number(absText);
    const presented = Number(pGen);
    const now = Number(nowText);
    if (now >= idle || now >= abs) {
      store.del(stateKey);
      store.del(graceKey);
      return ["expired"];
    }
    if ((presented === gen && pHash === hash) || (seeded && presented > gen)) {
      const nextIdle = Math.min(now + Number(idleTtl), abs);
      store.set(stateKey, `${presented + 1}|${nextHash}|${nextIdle}|${abs}|${blob}`, nextIdle - now);
      store.set(graceKey, `${pHash}|${now}|${sealed}`, Number(graceMs));
      return ["rotated", String(presented + 1), String(nextIdle), String(abs), blob];
    }
    if (presented === gen - 1) {
      const grace = GRACE.exec(store.get(graceKey) ?? "");
      if (grace && grace[1] === pHash && now - Number(grace[2]) <= Number(graceMs)) {
        return ["grace", grace[3] ?? "", String(gen), String(idle), String(abs), blob];
      }
    }
    store.del(stateKey);
    store.del(graceKey);
    store.set(revokedKey, "reuse", Number(revokedTtl));
    return ["reuse", blob];
  },
  decode(raw): RotateOutcome {
    const [kind, ...rest] = raw as string[];
    const numbers = (values: (string | undefined)[]) => values.map((v) => Number(v));
    switch (kind) {
      case "rotated": {
        const [generation = 0, idleExpiresAt = 0, absoluteExpiresAt = 0] = numbers(rest.slice(0, 3));
        return { kind, generation, idleExpiresAt, absoluteExpiresAt, claims: decodeClaims(rest[3] ?? "") };
      }
      case "grace": {
        const [generation = 0, idleExpiresAt = 0, absoluteExpiresAt = 0] = numbers(rest.slice(1, 4));
        return {
          kind,
          sealedSuccessor: rest[0] ?? "",
          generation,
          idleExpiresAt,
          absoluteExpiresAt,
          claims: decodeClaims(rest[4] ?? ""),
        };
      }
      case "reuse":
        return { kind, claims: rest[0] ? decodeClaims(rest[0]) : null };
      case "revoked":
      case "expired":
      case "foreign":
        return { kind };
      default:
        return { kind: "missing" };
    }
  },
};

/**
 * Starts a spent token's grace window again, from now: its rotation stands
 * but the answer never left (a store failed after it), so the client's retry
 * must still find the successor. Only for the token the grace entry is of.
 * KEYS: grace. ARGV: the spent token's hash, now ms, grace ms.
 */
export const rearmGrace: AtomicScript<void> = {
  name: "rearm_grace",
  lua: `local grace = redis.call('GET', KEYS[1])
if not grace then return 0 end
local ghash, gat, sealed = string.match(grace, '^([^|]*)|(%d+)|(.*)$')
if ghash ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], string.format('%s|%s|%s', ghash, ARGV[2], sealed), 'PX', ARGV[3])
return 1`,
  memory(store, [graceKey = ""], [hash = "", now = "0", graceMs = "0"]) {
    const grace = GRACE.exec(store.get(graceKey) ?? "");
    if (!grace || grace[1] !== hash) return 0;
    store.set(graceKey, `${hash}|${now}|${grace[3] ?? ""}`, Number(graceMs));
    return 1;
  },
  decode: () => undefined,
};

/**
 * Ends a session in Redis: its state and grace entry go, its access tokens
 * are blocklisted. KEYS: sess, grace, revoked. ARGV: revoked ttl ms, reason.
 */
export const revokeSessionState: AtomicScript<void> = {
  name: "revoke_session_state",
  lua: `redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[1])
return 1`,
  memory(store, [stateKey = "", graceKey = "", revokedKey = ""], [ttl = "0", reason = ""]) {
    store.del(stateKey);
    store.del(graceKey);
    store.set(revokedKey, reason, Number(ttl));
    return 1;
  },
  decode: () => undefined,
};

/**
 * Replaces the claims of a session's state at one generation (after the
 * user changed), keeping everything else and the expiry; a state that moved
 * on or ended is left alone. KEYS: sess. ARGV: generation, claims blob.
 */
export const replaceSessionClaims: AtomicScript<void> = {
  name: "replace_session_claims",
  lua: `local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local gen, rest = string.match(raw, '^(%d+)|([^|]*|%d+|%d+)|')
if gen ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], string.format('%s|%s|%s', gen, rest, ARGV[2]), 'PX', ttl)
return 1`,
  memory(store, [stateKey = ""], [generation = "", blob = ""]) {
    const match = /^(\d+)\|([^|]*\|\d+\|\d+)\|/.exec(store.get(stateKey) ?? "");
    const ttl = store.pttl(stateKey);
    if (!match || match[1] !== generation || ttl <= 0) return 0;
    store.set(stateKey, `${generation}|${match[2]}|${blob}`, ttl);
    return 1;
  },
  decode: () => undefined,
};

/**
 * Records a client session as a child of the provider session it was issued
 * from, unless that session is already revoked (so a logout racing a code
 * exchange cannot miss the new child). The list is space-separated and lives
 * as long as its longest-lived child may. KEYS: children, the parent's
 * revoked. ARGV: child id, ttl ms. Returns 1 when recorded, 0 when the parent is revoked.
 */
export const addSessionChild: AtomicScript<boolean> = {
  name: "add_session_child",
  lua: `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('APPEND', KEYS[1], ARGV[1] .. ' ')
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`,
  memory(store, [childrenKey = "", revokedKey = ""], [child = "", ttl = "0"]) {
    if (store.get(revokedKey) !== null) return 0;
    const left = store.pttl(childrenKey);
    store.set(childrenKey, `${store.get(childrenKey) ?? ""}${child} `, Math.max(left, Number(ttl)));
    return 1;
  },
  decode: (raw) => Number(raw) === 1,
};
