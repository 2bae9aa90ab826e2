import { fixedLengthEqual } from "../crypto/compare.js";
import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { ApiKeyRecord, Database, ListingPosition, Tenant, UserRecord } from "../ports/database.js";
import type { AtomicScript, KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import type { Background } from "../sessions/sessions.js";
import { scopeList } from "../sessions/user-claims.js";
import { displayPrefix, generateApiKey, hashApiKey, isWellFormedApiKey } from "./key-format.js";
import {
  FRESH_LOGIN_MS,
  grantableFrom,
  grantableScopes,
  isPowerful,
  MAX_SERVICE_KEYS,
  MAX_USER_KEYS,
} from "./key-scopes.js";

/** Coalesces `last_used_at`: at most one write per key per this long. */
const USE_RECORD_INTERVAL_MS = 60_000;
/** Keys marked for reload at a time when their owner changes. */
const OWNER_PAGE = 100;

/** A key that verified, with the scopes it may use now. */
export interface VerifiedApiKey {
  id: string;
  tenantId: string;
  /** Null for a service key of the tenant. */
  userId: string | null;
  scopes: string[];
  expiresAt: Date | null;
}

interface CachedKey extends Omit<VerifiedApiKey, "expiresAt"> {
  keyHash: string;
  expiresAt: number | null;
  /** Served until then (by the injected clock; Redis expires it too). */
  until: number;
}

const cacheKey = (hash: string) => `api-key:${hash}`;
const REVOKED = "revoked";
/** Its owner's scopes changed: read from the database, not cached, while this marker lives. */
const RELOAD = "reload";

/**
 * Caches a verified key unless a marker is there (revoked, reload): a
 * verification that read the rows just before the revocation or the owner's
 * change cannot cache what it read afterwards. KEYS: cache key. ARGV: entry, ttl ms.
 */
const cacheUnlessMarked: AtomicScript<boolean> = {
  name: "cache_api_key_unless_marked",
  lua: `local held = redis.call('GET', KEYS[1])
if held == '${"revoked"}' or held == '${"reload"}' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  memory(store, [key = ""], [entry = "", ttl = "0"]) {
    const held = store.get(key);
    if (held === REVOKED || held === RELOAD) return 0;
    store.set(key, entry, Number(ttl));
    return 1;
  },
  decode: (raw) => Number(raw) === 1,
};
const usedKey = (id: string) => `api-key-used:${id}`;

interface NewKeyInput {
  name: string;
  scopes: string[];
  expiresAt: Date | null;
}

export interface ApiKeyDeps {
  db: Database;
  kv: KeyValueStore;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** The primitives hash the keys with (the sealer's: node:crypto on Node). */
  sealer: Pick<Sealer, "primitives">;
  /** How long a verified key is served from Redis before the database is read again (ms). */
  cacheTtlMs: number;
}

/** Whose keys a call may see or revoke: one user's, or any of the tenant's (admin routes only), said explicitly. */
export type KeyOwner = { userId: string } | "any";

/**
 * API keys (DESIGN.md): `sk_` keys of which only SHA-256 is stored, shown
 * once, with scopes, expiry and revocation. Verification answers from a
 * Redis cache (bounded by `cacheTtlMs`) that revocation deletes, so a
 * revoked key stops at once on every process.
 */
export class ApiKeyService {
  constructor(private readonly deps: ApiKeyDeps) {}

  /**
   * A user's key. The user may grant what they hold now (grantableScopes)
   * and the presenting token carries (`tokenScope`): a grant never widens, so
   * a scope the user gained after the token was issued comes with the next
   * one. A key with `admin` or a service scope also needs a login at most
   * FRESH_LOGIN_MS old, so a stolen session alone cannot mint a lasting
   * powerful credential.
   */
  async createForUser(
    tenant: Tenant,
    owner: { user: UserRecord; authenticatedAt: Date; tokenScope: string },
    input: NewKeyInput,
  ): Promise<{ record: ApiKeyRecord; key: string }> {
    const allowed = grantableScopes(owner.user);
    const carried = grantableFrom(scopeList(owner.tokenScope));
    const refused = input.scopes.filter((scope) => !allowed.has(scope) || !carried.has(scope));
    if (refused.length > 0) throw errors.forbidden(`You cannot grant: ${refused.join(", ")}.`);
    const powerful = input.scopes.filter(isPowerful);
    if (powerful.length > 0 && this.deps.clock.now().getTime() - owner.authenticatedAt.getTime() > FRESH_LOGIN_MS) {
      throw errors.reauthenticationRequired(
        `A key with ${powerful.join(", ")} needs a login within the last ${FRESH_LOGIN_MS / 60_000} minutes; log in again.`,
      );
    }
    return this.insert(tenant, owner.user.id, input);
  }

  /** A service key of the tenant (an admin's call): no owner, so it acts with exactly its own scopes. */
  createForTenant(tenant: Tenant, input: NewKeyInput): Promise<{ record: ApiKeyRecord; key: string }> {
    return this.insert(tenant, null, input);
  }

  private async insert(
    tenant: Tenant,
    ownerId: string | null,
    input: NewKeyInput,
  ): Promise<{ record: ApiKeyRecord; key: string }> {
    const now = this.deps.clock.now();
    if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
      throw errors.validation([{ path: "expires_at", message: "must be in the future" }]);
    }
    const key = generateApiKey(this.deps.random);
    const cap = ownerId === null ? MAX_SERVICE_KEYS : MAX_USER_KEYS;
    const record = await this.deps.db.apiKeys.create(
      {
        id: this.deps.random.uuid(),
        tenantId: tenant.id,
        userId: ownerId,
        name: input.name,
        prefix: displayPrefix(key),
        keyHash: await hashApiKey(key, this.deps.sealer.primitives),
        scopes: [...new Set(input.scopes)],
        expiresAt: input.expiresAt,
        now,
      },
      cap,
    );
    if (!record) {
      throw errors.limitReached(
        ownerId === null
          ? `A tenant holds at most ${cap} service keys; revoke one first.`
          : `An account holds at most ${cap} API keys; revoke one first.`,
      );
    }
    this.deps.logger.info("api_key_created", { tenant_id: tenant.id, user_id: ownerId, key_id: record.id });
    return { record, key };
  }

  /**
   * Up to `limit` of the tenant's live keys (neither revoked nor expired),
   * newest first, after `after`: one user's, or (an admin's view) every key of the tenant.
   */
  list(
    tenant: Tenant,
    owner: KeyOwner,
    after: ListingPosition | null,
    limit: number,
  ): Promise<{ key: ApiKeyRecord; position: ListingPosition }[]> {
    const userId = owner === "any" ? undefined : owner.userId;
    return this.deps.db.apiKeys.listLive(tenant.id, userId, this.deps.clock.now(), after, limit);
  }

  /**
   * Revokes one of the owner's keys (`any`: any key of the tenant, for an
   * admin); it stops working at once. Resolves false when there is no such live key.
   */
  async revoke(tenant: Tenant, owner: KeyOwner, id: string): Promise<boolean> {
    const ownerId = owner === "any" ? undefined : owner.userId;
    const revoked = await this.deps.db.apiKeys.revoke(tenant.id, ownerId, id, this.deps.clock.now());
    if (!revoked) return false;
    await this.tombstone(revoked);
    this.deps.logger.info("api_key_revoked", { tenant_id: tenant.id, user_id: revoked.userId, key_id: id });
    return true;
  }

  /** Revokes every key of the user (disabled, deleted, or on an admin's request); each stops at once. */
  async revokeAllOfUser(tenant: Tenant, userId: string): Promise<number> {
    const revoked = await this.deps.db.apiKeys.revokeAllOfOwner(tenant.id, userId, this.deps.clock.now());
    await Promise.all(revoked.map((key) => this.tombstone(key)));
    // One line (and audit entry) per key, as for a key revoked on its own.
    for (const key of revoked) {
      this.deps.logger.info("api_key_revoked", {
        tenant_id: tenant.id,
        user_id: userId,
        key_id: key.id,
        reason: "user",
      });
    }
    return revoked.length;
  }

  /**
   * The owner's scopes changed: each of the user's keys is read from the
   * database again at its next use (a key never acts beyond its owner's
   * current scopes), and not cached for the cache's lifetime, so a
   * verification that read the old scopes cannot cache them afterwards.
   */
  async ownerChanged(tenant: Tenant, userId: string): Promise<void> {
    // A page at a time: an owner may hold more keys than the cap (created before there was one).
    for (let after: ListingPosition | null = null; ; ) {
      const page = await this.list(tenant, { userId }, after, OWNER_PAGE);
      await Promise.all(
        page.map(({ key }) => this.deps.kv.set(cacheKey(key.keyHash), RELOAD, { ttlMs: this.deps.cacheTtlMs })),
      );
      if (page.length < OWNER_PAGE) return;
      after = page.at(-1)?.position ?? null;
    }
  }

  /**
   * A tombstone rather than a delete: a verification that read the row just
   * before the revocation cannot cache it afterwards (cacheUnlessMarked).
   */
  private async tombstone(key: ApiKeyRecord): Promise<void> {
    await this.deps.kv.set(cacheKey(key.keyHash), REVOKED, { ttlMs: this.deps.cacheTtlMs });
  }

  /**
   * The key's tenant, owner and usable scopes, or null for anything that is
   * not a live key of this tenant. A malformed key (shape or checksum) is
   * refused before any lookup.
   */
  async verify(tenant: Tenant, key: string, background: Background): Promise<VerifiedApiKey | null> {
    if (!isWellFormedApiKey(key)) return null;
    const hash = await hashApiKey(key, this.deps.sealer.primitives);
    const now = this.deps.clock.now().getTime();
    const cached = await this.deps.kv.get(cacheKey(hash));
    if (cached === REVOKED) return null;
    const hit = cached && cached !== RELOAD ? (JSON.parse(cached) as CachedKey) : null;
    const entry = hit && hit.until > now ? hit : await this.load(hash, now);
    // The lookup was by hash; comparing it again in constant time keeps a cache or index quirk from ever matching another key.
    if (!entry || !fixedLengthEqual(entry.keyHash, hash) || entry.tenantId !== tenant.id) return null;
    if (entry.expiresAt !== null && entry.expiresAt <= now) return null;
    background(this.recordUse(entry.id, now));
    return {
      id: entry.id,
      tenantId: entry.tenantId,
      userId: entry.userId,
      scopes: entry.scopes,
      expiresAt: entry.expiresAt === null ? null : new Date(entry.expiresAt),
    };
  }

  /**
   * From the database: the key and the scopes it may use now. A user's key
   * never acts beyond its owner's current scopes, nor for a deleted or
   * disabled owner (whose keys are also revoked: this covers a key created
   * while the owner was being disabled); a service key acts with its own.
   */
  private async load(hash: string, now: number): Promise<CachedKey | null> {
    const record = await this.deps.db.apiKeys.findByHash(hash);
    if (!record || record.revokedAt) return null;
    let scopes = record.scopes;
    if (record.userId !== null) {
      const owner = await this.deps.db.users.findById(record.tenantId, record.userId);
      if (!owner || owner.disabledAt) return null;
      const allowed = grantableScopes(owner);
      scopes = scopes.filter((scope) => allowed.has(scope));
    }
    const entry: CachedKey = {
      id: record.id,
      tenantId: record.tenantId,
      userId: record.userId,
      keyHash: record.keyHash,
      scopes,
      expiresAt: record.expiresAt?.getTime() ?? null,
      until: now + this.deps.cacheTtlMs,
    };
    const ttl = Math.min(
      this.deps.cacheTtlMs,
      entry.expiresAt === null ? Number.POSITIVE_INFINITY : entry.expiresAt - now,
    );
    if (ttl > 0) await this.deps.kv.run(cacheUnlessMarked, [cacheKey(hash)], [JSON.stringify(entry), Math.ceil(ttl)]);
    return entry;
  }

  /** `last_used_at`, written at most once a minute per key (the marker key coalesces concurrent uses). */
  private async recordUse(id: string, now: number): Promise<void> {
    const first = await this.deps.kv.set(usedKey(id), "1", { ttlMs: USE_RECORD_INTERVAL_MS, onlyIfAbsent: true });
    if (first) await this.deps.db.apiKeys.recordUse(id, new Date(now));
  }
}
