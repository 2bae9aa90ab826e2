import type { Clock } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";

/** The longest a pending login step lives (a second step's `mfa_token`); a cutoff need outlive none. */
export const PENDING_LOGIN_TTL_MS = 5 * 60_000;
/**
 * When the user's pending login steps were ended (epoch ms). Named when it
 * ended second steps only; kept so both versions agree during an upgrade.
 */
const cutoffKey = (tenantId: string, userId: string) => `mfa-cutoff:${tenantId}:${userId}`;
/** When every user's pending login steps in the tenant were ended (an operator's revoke-all-sessions). */
const tenantCutoffKey = (tenantId: string) => `login-cutoff:${tenantId}`;

/**
 * The per-user (and per-tenant) cutoff of logins in progress: a second
 * step's `mfa_token` and a federated login's one-time code issued until a
 * "log out everywhere" (an admin's revocation, a disabled or deleted user, a
 * password reset or change; every user's at once for the tenant's
 * revoke-all-sessions) yield no session after it. Authorization codes need none: they
 * are bound to the provider session, which that revocation ends.
 */
export class LoginCutoffs {
  constructor(private readonly deps: { kv: KeyValueStore; clock: Clock }) {}

  /** Ends the user's logins in progress: those issued until now. */
  async endPending(tenant: Tenant, userId: string): Promise<void> {
    await this.set(cutoffKey(tenant.id, userId));
  }

  /** Ends every user's logins in progress in the tenant. */
  async endPendingOfTenant(tenant: Tenant): Promise<void> {
    await this.set(tenantCutoffKey(tenant.id));
  }

  private async set(key: string): Promise<void> {
    const now = this.deps.clock.now().getTime();
    await this.deps.kv.set(key, String(now), { ttlMs: PENDING_LOGIN_TTL_MS });
  }

  /**
   * Whether a step of the user's issued at `issuedAt` (epoch ms) was ended
   * since. One without a time (written by the previous version, so at most
   * a few minutes old) counts as ended by any cutoff still kept.
   */
  async ended(tenant: Tenant, userId: string, issuedAt: number | undefined): Promise<boolean> {
    const cutoffs = await Promise.all([
      this.deps.kv.get(cutoffKey(tenant.id, userId)),
      this.deps.kv.get(tenantCutoffKey(tenant.id)),
    ]);
    return cutoffs.some((cutoff) => cutoff !== null && (issuedAt === undefined || issuedAt <= Number(cutoff)));
  }
}
