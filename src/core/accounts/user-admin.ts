import type { ApiKeyService } from "../api-keys/api-keys.js";
import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { Cursors } from "../pagination/cursor.js";
import type { Clock } from "../ports/clock.js";
import type { Database, Tenant, UserChanges, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { SessionService } from "../sessions/sessions.js";
import { settleAll } from "../settle-all.js";
import type { AccountService, UserView } from "./accounts.js";
import { decodeUserCursor, encodeUserCursor } from "./user-cursor.js";
import { nameContext } from "./user-rows.js";
import type { UserVersions } from "./user-versions.js";

/** API.md's AdminUser. */
export interface AdminUserView extends UserView {
  scopes: string[];
  disabled: boolean;
  updated_at: string;
  last_login_at: string | null;
}

interface UserAdminDeps {
  db: Database;
  sealer: Sealer;
  accounts: AccountService;
  sessions: SessionService;
  apiKeys: ApiKeyService;
  userVersions: UserVersions;
  cursors: Cursors;
  clock: Clock;
  logger: Logger;
}

/**
 * What an admin does to users. Every change raises the user's version, so
 * sessions pick up new scopes at their next refresh; disabling or deleting
 * also revokes every session at once (access tokens stop at every route) and
 * every API key of the user (revoked in Postgres, tombstoned in the Redis
 * verification cache). Revoked keys stay revoked when the user is enabled again.
 */
export class UserAdministration {
  constructor(private readonly deps: UserAdminDeps) {}

  async view(user: UserRecord): Promise<AdminUserView> {
    return {
      ...(await this.deps.accounts.view(user)),
      scopes: user.scopes,
      disabled: user.disabledAt !== null,
      updated_at: user.updatedAt.toISOString(),
      last_login_at: user.lastLoginAt?.toISOString() ?? null,
    };
  }

  /**
   * A page of the tenant's live users, newest first; with `email`, the one
   * user with that normalised address (through the blind index) or none.
   * A cursor this service did not give out is 400 `validation_failed`.
   */
  async list(
    tenant: Tenant,
    query: { email?: string; limit: number; cursor?: string },
  ): Promise<{ users: UserRecord[]; nextCursor: string | null }> {
    const { cursors } = this.deps;
    const after = query.cursor === undefined ? null : await decodeUserCursor(cursors, tenant.id, query.cursor);
    if (query.cursor !== undefined && !after) {
      throw errors.validation([{ path: "cursor", message: "is not a cursor this service gave out" }]);
    }
    if (query.email !== undefined) {
      const user = await this.deps.accounts.findByAddress(tenant, query.email);
      return { users: user ? [user] : [], nextCursor: null };
    }
    // One row more than asked tells whether there is a next page.
    const rows = await this.deps.db.users.listLive(tenant.id, after, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      users: page.map((row) => row.user),
      nextCursor: rows.length > query.limit && last ? await encodeUserCursor(cursors, tenant.id, last.position) : null,
    };
  }

  /**
   * Applies an admin's changes; resolves the user, or null when there is none.
   * With `basis`, a conditional write (RFC 9110 §13.1.1): only while the user
   * is as read, else 412 before any session or key is touched.
   */
  async update(
    tenant: Tenant,
    userId: string,
    changes: Omit<UserChanges, "nameSealed"> & { name?: string | null },
    basis?: UserRecord,
  ): Promise<UserRecord | null> {
    const { name, ...rest } = changes;
    const nameSealed =
      name === undefined ? undefined : name ? await this.deps.sealer.seal(name, nameContext(tenant.id, userId)) : null;
    const now = this.deps.clock.now();
    const user = await this.deps.db.users.update(tenant.id, userId, { ...rest, nameSealed }, now, basis);
    if (!user && basis) throw errors.preconditionFailed();
    if (!user) return null;
    // Side by side, so one store failing does not keep the other from being told.
    await settleAll([
      this.deps.userVersions.raise(tenant.id, user.id, user),
      changes.disabled === true
        ? this.endCredentials(tenant, user.id)
        : changes.scopes !== undefined
          ? this.deps.apiKeys.ownerChanged(tenant, user.id)
          : undefined,
    ]);
    this.deps.logger.info("user_updated_by_admin", {
      tenant_id: tenant.id,
      user_id: user.id,
      fields: Object.keys(changes)
        .filter((field) => changes[field as keyof typeof changes] !== undefined)
        .join(","),
    });
    return user;
  }

  /**
   * Soft delete that erases the person's data (UserRepository.softDelete):
   * sessions end at once. Its upstream identities are unlinked with it, so a
   * later login through one makes a new account, as the address is free.
   * Resolves whether a live user was deleted. The sessions and keys are
   * ended even when the user was deleted already: a deletion that failed
   * half-way (a store down) is finished by its retry, answered 404. With
   * `basis`, only while the user is as read: else 412, nothing erased or ended.
   */
  async delete(tenant: Tenant, userId: string, basis?: UserRecord): Promise<boolean> {
    const deleted = await this.deps.db.users.softDelete(tenant.id, userId, this.deps.clock.now(), basis);
    if (!deleted && basis) throw errors.preconditionFailed();
    await settleAll([this.deps.userVersions.raise(tenant.id, userId, null), this.endCredentials(tenant, userId)]);
    if (deleted) this.deps.logger.info("user_deleted_by_admin", { tenant_id: tenant.id, user_id: userId });
    return deleted;
  }

  /** Every session and API key of a disabled or deleted user, at once. */
  private async endCredentials(tenant: Tenant, userId: string): Promise<void> {
    await settleAll([
      this.deps.sessions.revokeAllOfUser(tenant, userId, "user_ended"),
      this.deps.apiKeys.revokeAllOfUser(tenant, userId),
    ]);
  }
}
