import type { Sealer } from "../crypto/sealing.js";
import type { Clock } from "../ports/clock.js";
import type { Database, Tenant, UserChanges, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { SessionService } from "../sessions/sessions.js";
import { type AccountService, nameContext, type UserView } from "./accounts.js";
import type { UserVersions } from "./user-versions.js";

/** API.md's AdminUser. */
export interface AdminUserView extends UserView {
  scopes: string[];
  disabled: boolean;
  updated_at: string;
  last_login_at: string | null;
}

export interface UserAdminDeps {
  db: Database;
  sealer: Sealer;
  accounts: AccountService;
  sessions: SessionService;
  userVersions: UserVersions;
  clock: Clock;
  logger: Logger;
}

/**
 * What an admin does to users. Every change raises the user's version, so
 * sessions pick up new scopes at their next refresh; disabling or deleting
 * also revokes every session at once (access tokens stop at every route).
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

  async update(
    tenant: Tenant,
    userId: string,
    changes: Omit<UserChanges, "nameSealed"> & { name?: string | null },
  ): Promise<UserRecord | null> {
    const { name, ...rest } = changes;
    const nameSealed =
      name === undefined ? undefined : name ? await this.deps.sealer.seal(name, nameContext(tenant.id, userId)) : null;
    const user = await this.deps.db.users.update(tenant.id, userId, { ...rest, nameSealed }, this.deps.clock.now());
    if (!user) return null;
    await this.deps.userVersions.raise(tenant.id, user.id, user);
    if (user.disabledAt) await this.deps.sessions.revokeAllOfUser(tenant, user.id, "user_ended");
    this.deps.logger.info("user_updated_by_admin", {
      tenant_id: tenant.id,
      user_id: user.id,
      fields: Object.keys(changes).join(","),
    });
    return user;
  }

  /** Soft delete: sessions end at once; resolves whether a live user was deleted. */
  async delete(tenant: Tenant, userId: string): Promise<boolean> {
    if (!(await this.deps.db.users.softDelete(tenant.id, userId, this.deps.clock.now()))) return false;
    await this.deps.userVersions.raise(tenant.id, userId, null);
    await this.deps.sessions.revokeAllOfUser(tenant, userId, "user_ended");
    this.deps.logger.info("user_deleted_by_admin", { tenant_id: tenant.id, user_id: userId });
    return true;
  }
}
