import type { ListingPosition } from "./listing.js";

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** The owner, a key acting with at most its owner's scopes; null for a service key of the tenant (its own scopes). */
  userId: string | null;
  name: string;
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  keyHash: string;
  scopes: string[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export type NewApiKey = Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt" | "createdAt"> & { now: Date };

export interface ApiKeyRepository {
  /**
   * Inserts the key unless its owner (the user; for a service key, the
   * tenant's service keys) already holds `cap` usable keys (neither revoked
   * nor expired at `key.now`), in one statement; resolves null then.
   * Concurrent inserts each count without the others', so they may pass the cap by a few.
   */
  create(key: NewApiKey, cap: number): Promise<ApiKeyRecord | null>;
  /** The key with this hash (any tenant; the caller checks), live or not. */
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /**
   * Up to `limit` of the tenant's keys that are neither revoked nor expired
   * at `now`, newest first (created_at, then id, descending), after `after`
   * (null: from the first), each with its place; only the user's when
   * `userId` is given.
   */
  listLive(
    tenantId: string,
    userId: string | undefined,
    now: Date,
    after: ListingPosition | null,
    limit: number,
  ): Promise<{ key: ApiKeyRecord; position: ListingPosition }[]>;
  /**
   * Revokes a live key of the owner (undefined: any key of the tenant, for an
   * admin); resolves it (with its hash, for cache eviction) or null.
   */
  revoke(tenantId: string, userId: string | undefined, id: string, at: Date): Promise<ApiKeyRecord | null>;
  /** Revokes every live key of the user in one statement; resolves them (with their hashes). */
  revokeAllOfOwner(tenantId: string, userId: string, at: Date): Promise<ApiKeyRecord[]>;
  recordUse(id: string, at: Date): Promise<void>;
}
