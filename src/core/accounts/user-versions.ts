import type { Database, UserRecord } from "../ports/database.js";
import type { AtomicScript, KeyValueStore } from "../ports/key-value.js";

/** Redis forgets a version after this long; the next refresh reads it from Postgres again. */
const VERSION_TTL_MS = 7 * 86_400_000;
/** The version of a deleted user: above every live one (a soft delete is final). */
const GONE = Number.MAX_SAFE_INTEGER;
const versionKey = (tenantId: string, userId: string) => `user-ver:${tenantId}:{${userId}}`;

/** The version a session's claims were computed at: the user row's updated_at in ms. */
export const versionOf = (user: UserRecord): number => user.updatedAt.getTime();

/**
 * Raises KEYS[1] to ARGV[1] unless it already holds a version at least as
 * new, so a reader filling the cache from an older read never undoes a
 * writer's newer version. ARGV: version, ttl ms. Returns the version held.
 */
const raiseVersion: AtomicScript<number> = {
  name: "raise_user_version",
  lua: `local raw = redis.call('GET', KEYS[1])
local held = tonumber(raw)
if held and held >= tonumber(ARGV[1]) then return raw end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`,
  memory(store, [key = ""], [version = "0", ttl = "0"]) {
    const held = store.get(key);
    if (held !== null && Number(held) >= Number(version)) return held;
    store.set(key, version, Number(ttl));
    return version;
  },
  decode: (raw) => Number(raw),
};

/**
 * Each user's version (its row's updated_at) cached in Redis, so a refresh
 * can tell whether the user changed (scopes, disabled, deleted) since its
 * session's claims were computed, without a Postgres round trip when nothing
 * did.
 */
export class UserVersions {
  constructor(private readonly deps: { db: Database; kv: KeyValueStore }) {}

  /** The user's current version (GONE when deleted), with the row when it had to be read. */
  async current(tenantId: string, userId: string): Promise<{ version: number; user?: UserRecord | null }> {
    const cached = await this.deps.kv.get(versionKey(tenantId, userId));
    if (cached !== null) return { version: Number(cached) };
    const user = await this.deps.db.users.findById(tenantId, userId);
    return { version: await this.raise(tenantId, userId, user), user };
  }

  /** After a user's row changed (null: deleted), so every session sees it at its next refresh. */
  async raise(tenantId: string, userId: string, user: UserRecord | null): Promise<number> {
    const version = user ? versionOf(user) : GONE;
    return this.deps.kv.run(raiseVersion, [versionKey(tenantId, userId)], [version, VERSION_TTL_MS]);
  }
}
