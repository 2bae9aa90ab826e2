import type { ListingPosition } from "./listing.js";

export interface SessionRecord {
  id: string;
  tenantId: string;
  userId: string;
  /** `password`, `oauth:{provider}`, `saml:{connection}`. */
  authMethod: string;
  amr: string[];
  clientId: string | null;
  scope: string;
  userAgent: string | null;
  ip: string | null;
  authTime: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  /** Generation and SHA-256 of the newest refresh token (the ledger behind Redis). */
  refreshGeneration: number;
  refreshHash: string | null;
  createdAt: Date;
}

/** A refresh-token rotation as the ledger keeps it. */
export interface SessionRotation {
  tenantId: string;
  id: string;
  generation: number;
  refreshHash: string;
  at: Date;
  expiresAt: Date;
}

export type NewSession = Omit<SessionRecord, "revokedAt" | "revokedReason" | "createdAt" | "refreshGeneration">;

export interface SessionRepository {
  /**
   * Inserts the session (refresh generation 0) and stamps the user's last
   * login, in one statement; with the user as that statement found it, after
   * any change committed meanwhile (null: deleted, or no such user).
   */
  create(
    session: NewSession,
  ): Promise<SessionRecord & { user: { disabled: boolean; passwordHash: string | null } | null }>;
  /** Deletes a session whose login was refused as it was inserted: it never started. */
  discard(tenantId: string, id: string): Promise<void>;
  findById(tenantId: string, id: string): Promise<SessionRecord | null>;
  /**
   * Records rotations, in one statement: each session's generation, token
   * hash, last use and slid idle expiry. Only moves forward (a late write of
   * an older generation changes nothing) and never touches a revoked session.
   * At most one rotation per session (the newest) in a call. Resolves the ids
   * of those sessions the ledger holds as ended (revoked or deleted) or does
   * not hold (a restored backup lost them).
   */
  recordRotations(rotations: SessionRotation[]): Promise<string[]>;
  /** Marks a live session revoked; resolves whether it was live. */
  revoke(tenantId: string, id: string, at: Date, reason: string): Promise<boolean>;
  /** Up to `limit` ids of the user's sessions that are not revoked, but `exceptId` (when given). */
  liveIdsOfUser(tenantId: string, userId: string, exceptId: string | undefined, limit: number): Promise<string[]>;
  /** Up to `limit` ids of the OAuth client's sessions that are not revoked (only the user's, when `userId` is given). */
  liveIdsOfClient(tenantId: string, clientId: string, userId: string | undefined, limit: number): Promise<string[]>;
  /**
   * Up to `limit` ids of the tenant's sessions that are not revoked (every
   * user's and client's, expired ones too): an operator ending them all, a page at a time.
   */
  liveIdsOfTenant(tenantId: string, limit: number): Promise<string[]>;
  /** Marks those of the sessions that are live revoked; resolves their ids. */
  revokeMany(tenantId: string, ids: string[], at: Date, reason: string): Promise<string[]>;
  /**
   * Up to `limit` of the user's sessions that are neither revoked nor expired
   * at `now`, most recently used first (last_used_at, then id, descending),
   * after `after` (null: from the first), each with its place.
   */
  listLive(
    tenantId: string,
    userId: string,
    now: Date,
    after: ListingPosition | null,
    limit: number,
  ): Promise<{ session: SessionRecord; position: ListingPosition }[]>;
  /**
   * Deletes up to `limit` sessions (any tenant) that ended before `cutoff`:
   * idle-expired (which covers absolute expiry), revoked or deleted. Resolves
   * how many were deleted.
   */
  purgeEndedBefore(cutoff: Date, limit: number): Promise<number>;
}
