import type { Tenant } from "../ports/database.js";
import { clientTokenSessionId } from "../tokens/access-token.js";
import { LoginCutoffs } from "./login-cutoffs.js";
import { endAllSessions, endSessions } from "./session-revocation.js";
import type { SessionStore } from "./session-store.js";
import type { RevocationReason, SessionDeps } from "./session-types.js";

/** Ends all of a user's, an OAuth client's or a tenant's sessions, a page at a time (endAllSessions), logged once. */
export class BulkRevocation {
  private readonly cutoffs: LoginCutoffs;

  constructor(
    private readonly deps: SessionDeps,
    private readonly store: SessionStore,
    private readonly countRevoked: (reason: RevocationReason, count: number) => void,
  ) {
    this.cutoffs = new LoginCutoffs(deps);
  }

  /**
   * Revokes every session of a user but `except` (the caller's own, after a
   * password change), and first the user's logins in progress (LoginCutoffs):
   * nothing issued before this yields a session after it. Resolves how many were live.
   */
  async ofUser(
    tenant: Tenant,
    userId: string,
    reason: "admin" | "user_ended" | "password_changed",
    except?: string,
  ): Promise<number> {
    await this.cutoffs.endPending(tenant, userId);
    const count = await this.endAll(tenant, reason, (limit) =>
      this.deps.db.sessions.liveIdsOfUser(tenant.id, userId, except, limit),
    );
    this.countRevoked(reason, count);
    this.deps.logger.info("sessions_revoked_of_user", { tenant_id: tenant.id, user_id: userId, count, reason });
    return count;
  }

  /**
   * Revokes every session of the tenant, every user's and client's (an
   * operator's `revoke-all-sessions`: after a restore brought ended ones
   * back, or a breach), and first every login in progress; resolves how many were live.
   */
  async ofTenant(tenant: Tenant, reason: "admin"): Promise<number> {
    await this.cutoffs.endPendingOfTenant(tenant);
    const count = await this.endAll(tenant, reason, (limit) => this.deps.db.sessions.liveIdsOfTenant(tenant.id, limit));
    this.countRevoked(reason, count);
    this.deps.logger.info("sessions_revoked_of_tenant", { tenant_id: tenant.id, count, reason });
    return count;
  }

  /**
   * Revokes every session of an OAuth client (only `userId`'s when given): the
   * client was deleted or became public, or the user withdrew their consent.
   * Resolves how many were live.
   */
  async ofClient(
    tenant: Tenant,
    clientId: string,
    reason: "client_deleted" | "consent_revoked",
    userId?: string,
  ): Promise<number> {
    const count = await this.endClientSessions(tenant, clientId, reason, userId);
    this.logClientRevocation(tenant, clientId, reason, count, userId);
    return count;
  }

  /**
   * Ends every session of the client, makes `change` (the client deleted, or
   * made public), then ends any session a code redemption inserted meanwhile.
   * Ended first, so a store failing leaves the client as it was for the retry.
   */
  async ofClientAround<T>(
    tenant: Tenant,
    clientId: string,
    reason: "client_deleted" | "client_type_changed",
    change: () => Promise<T>,
  ): Promise<T> {
    const before = await this.endClientSessions(tenant, clientId, reason);
    const changed = await change();
    const after = await this.endClientSessions(tenant, clientId, reason);
    this.logClientRevocation(tenant, clientId, reason, before + after);
    return changed;
  }

  private async endClientSessions(tenant: Tenant, clientId: string, reason: RevocationReason, userId?: string) {
    // The whole client is gone (or lost its secret): its own tokens (client credentials) go too; no ledger row.
    if (userId === undefined) {
      await endSessions(this.store, tenant, [await clientTokenSessionId(clientId)], reason, async () => []);
    }
    return this.endAll(tenant, reason, (limit) =>
      this.deps.db.sessions.liveIdsOfClient(tenant.id, clientId, userId, limit),
    );
  }

  /** Ends the sessions `liveIds` pages through, in Redis then the ledger (endAllSessions); resolves how many. */
  private endAll(tenant: Tenant, reason: RevocationReason, liveIds: (limit: number) => Promise<string[]>) {
    const at = this.deps.clock.now();
    return endAllSessions(this.store, tenant, reason, liveIds, (ids) =>
      this.deps.db.sessions.revokeMany(tenant.id, ids, at, reason),
    );
  }

  private logClientRevocation(
    tenant: Tenant,
    clientId: string,
    reason: RevocationReason,
    count: number,
    userId?: string,
  ) {
    this.countRevoked(reason, count);
    this.deps.logger.info("sessions_revoked_of_client", {
      tenant_id: tenant.id,
      client_id: clientId,
      ...(userId ? { user_id: userId } : {}),
      count,
      reason,
    });
  }
}
