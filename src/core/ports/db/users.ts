/** A second factor a user can hold (recovery codes come with the first one and are not counted). */
export type SecondFactorKind = "totp" | "passkey";

/** A user row as stored: the email and name are sealed (row-level encryption). */
export interface UserRecord {
  id: string;
  tenantId: string;
  emailIndex: string;
  emailSealed: string;
  nameSealed: string | null;
  emailVerified: boolean;
  passwordHash: string | null;
  scopes: string[];
  /** Stamped by the statement that creates a session (`SessionRepository.create`). */
  lastLoginAt: Date | null;
  /** Set while an admin has disabled the account. */
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

type NewUser = Omit<UserRecord, "lastLoginAt" | "disabledAt" | "createdAt" | "updatedAt"> & { now: Date };

/** What an admin may change on a user (`PATCH /v1/admin/users/{id}`); absent fields stay. */
export interface UserChanges {
  scopes?: string[];
  disabled?: boolean;
  emailVerified?: boolean;
  nameSealed?: string | null;
}

/** What a conditional admin write (If-Match) read: the user's version and last login, the rest of its view follows the version. */
export type UserAsRead = Pick<UserRecord, "updatedAt" | "lastLoginAt">;

/** A place in the admin listing of a tenant's users: created_at as Postgres holds it (to the microsecond), and id. */
export interface UserPosition {
  createdAt: string;
  id: string;
}

export interface UserRepository {
  /** Inserts unless a live user of the tenant has the email index; resolves null in that case. */
  createIfAbsent(user: NewUser): Promise<UserRecord | null>;
  /**
   * The live user whose email index is any of `indexes` (a lookup key's under
   * each configured key version, for one or more keys); when several users
   * match, the one whose index comes first in `indexes`.
   */
  findByEmailIndex(tenantId: string, indexes: string[]): Promise<UserRecord | null>;
  findById(tenantId: string, id: string): Promise<UserRecord | null>;
  /**
   * Which second factors the user has (a confirmed live TOTP authenticator,
   * a live passkey), in one query: what a login and a step-up need to know.
   */
  secondFactorKinds(tenantId: string, userId: string): Promise<SecondFactorKind[]>;
  /** Sets a live user's password hash (a change or a reset). */
  replacePasswordHash(tenantId: string, id: string, passwordHash: string, at: Date): Promise<void>;
  /**
   * Replaces a live user's hash `from` (the one a login just verified) by
   * `to`, its remake with today's parameters; resolves false, changing
   * nothing, when the hash is no longer `from` (a change or another login won).
   */
  upgradePasswordHash(tenantId: string, id: string, from: string, to: string): Promise<boolean>;
  /**
   * Applies an admin's changes to a live user and stamps updated_at (the
   * user's version, see UserVersions); resolves the row, or null when absent
   * (with `was`, also when its updated_at or last_login_at is no longer as read).
   */
  update(tenantId: string, id: string, changes: UserChanges, at: Date, was?: UserAsRead): Promise<UserRecord | null>;
  /**
   * Gives a live user a new, verified address (a confirmed email change) and
   * stamps updated_at; "taken" when another live user of the tenant has it.
   */
  replaceEmail(
    tenantId: string,
    id: string,
    email: Pick<UserRecord, "emailIndex" | "emailSealed">,
    at: Date,
  ): Promise<UserRecord | "taken" | null>;
  /**
   * Soft delete that erases the person in the same statement: the address,
   * its blind index, name and password hash; the user's identities (subject,
   * profile), TOTP secrets, passkeys (credential, key, name), sessions' IP and
   * user agent; recovery codes, consents and mailed tokens are deleted. Ids,
   * tenant, timestamps and deleted_at stay. Resolves whether a live user was
   * deleted (with `was`, only while its updated_at and last_login_at are as read).
   */
  softDelete(tenantId: string, id: string, at: Date, was?: UserAsRead): Promise<boolean>;
  /**
   * Erases, as softDelete does, up to `limit` users deleted without being
   * erased (by an earlier release: during a rolling upgrade, or after a
   * rollback); each keeps its deleted_at, and is not found again. Resolves how many.
   */
  eraseDeletedUnerased(limit: number, at: Date): Promise<number>;
  /**
   * The tenant's live users newest first (created_at, then id), strictly
   * after `after` in that order, each with its position: a keyset, so rows
   * inserted meanwhile never shift a page.
   */
  listLive(
    tenantId: string,
    after: UserPosition | null,
    limit: number,
  ): Promise<{ user: UserRecord; position: UserPosition }[]>;
  /** Live rows in id order after `afterId`, for the re-encryption pass (deleted ones hold nothing sealed). */
  page(afterId: string | null, limit: number): Promise<UserRecord[]>;
  /**
   * Rewrites the sealed columns and index of one row (re-encryption), unless
   * it changed meanwhile (false); "taken", changing nothing, when another
   * live user of the tenant has the index: two accounts of one address.
   */
  reseal(
    user: Pick<UserRecord, "id" | "tenantId" | "updatedAt">,
    sealed: Pick<UserRecord, "emailIndex" | "emailSealed" | "nameSealed">,
  ): Promise<boolean | "taken">;
}
