import type { AtomicScript } from "../ports/key-value.js";

/**
 * Whether an access token is blocklisted, in one round trip, and whether
 * Redis vouches for its session. KEYS (one hash slot, the session's):
 * revoked session, revoked jti, session state, ledger-live marker. Returns
 * [revoked keys present, vouching keys present].
 */
export const checkBlocklist: AtomicScript<{ revoked: boolean; vouched: boolean }> = {
  name: "check_blocklist",
  lua: `return {redis.call('EXISTS', KEYS[1], KEYS[2]), redis.call('EXISTS', KEYS[3], KEYS[4])}`,
  memory(store, [session = "", jti = "", state = "", live = ""]) {
    const present = (...keys: string[]) => keys.filter((key) => store.get(key) !== null).length;
    return [present(session, jti), present(state, live)];
  },
  decode(raw) {
    const [revoked = 0, vouched = 0] = (raw as number[]).map(Number);
    return { revoked: revoked > 0, vouched: vouched > 0 };
  },
};

/**
 * The marker of a Redis written by a version before the keys moved into
 * their sessions' slots: gives it a lifetime (ARGV[1] ms) when it has none,
 * so the compatibility reads it turns on end by themselves. KEYS: the old
 * marker. Returns its remaining ms, or -2 when absent (as PTTL).
 */
export const ageLegacyMarker: AtomicScript<number> = {
  name: "age_legacy_blocklist_marker",
  lua: `if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return redis.call('PTTL', KEYS[1])`,
  memory(store, [marker = ""], [ttl = "0"]) {
    if (store.pttl(marker) === -1) store.pexpire(marker, Number(ttl));
    return store.pttl(marker);
  },
  decode: (raw) => Number(raw),
};
