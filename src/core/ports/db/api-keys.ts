export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** The owner; a key acts with at most its owner's scopes. */
  userId: string;
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
  create(key: NewApiKey): Promise<ApiKeyRecord>;
  /** The key with this hash (any tenant; the caller checks), live or not. */
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** The owner's keys that are not revoked, newest first. */
  listOfOwner(tenantId: string, userId: string): Promise<ApiKeyRecord[]>;
  /** Revokes the owner's live key; resolves it (with its hash, for cache eviction) or null. */
  revoke(tenantId: string, userId: string, id: string, at: Date): Promise<ApiKeyRecord | null>;
  recordUse(id: string, at: Date): Promise<void>;
}
