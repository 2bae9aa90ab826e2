import type { AccountService } from "../accounts/accounts.js";
import { type Sealer, SealingError } from "../crypto/sealing.js";
import type { Clock } from "../ports/clock.js";
import type { SessionRecord, Tenant, UserRecord } from "../ports/database.js";
import type { ClientInfo, LoginMethod, SessionService } from "../sessions/sessions.js";

/** The client id of the browser's session at the provider (its own clients' sessions are children of it). */
const PROVIDER_CLIENT = "provider";

// The context names the tenant: a cookie value copied to another tenant does not open there.
const cookieContext = (tenantId: string) => `provider_session:${tenantId}`;

export interface ProviderSessionDeps {
  sessions: SessionService;
  accounts: AccountService;
  sealer: Sealer;
  clock: Clock;
}

/**
 * The browser's single sign-on session at the provider: a normal session row
 * (listed by `/v1/sessions`, ended by `DELETE /v1/sessions/{id}`), named by a
 * sealed cookie value. It is what lets a second client sign in without a password.
 */
export class ProviderSessions {
  constructor(private readonly deps: ProviderSessionDeps) {}

  /** Starts a provider session after a login; resolves it and the cookie value that names it. */
  async start(
    tenant: Tenant,
    user: UserRecord,
    method: LoginMethod,
    client: ClientInfo,
  ): Promise<{ session: SessionRecord; cookie: string }> {
    const { session } = await this.deps.sessions.start(tenant, user, method, client, { clientId: PROVIDER_CLIENT });
    return { session, cookie: await this.deps.sealer.seal(session.id, cookieContext(tenant.id)) };
  }

  /**
   * The user and session a cookie value names, only while the session is
   * live (not revoked, not expired) and its user exists and is enabled.
   */
  async resolve(
    tenant: Tenant,
    cookie: string | undefined,
  ): Promise<{ user: UserRecord; session: SessionRecord } | null> {
    if (!cookie || cookie.length > 512) return null;
    let sessionId: string;
    try {
      sessionId = await this.deps.sealer.open(cookie, cookieContext(tenant.id));
    } catch (error) {
      if (error instanceof SealingError) return null;
      throw error;
    }
    const session = await this.deps.sessions.find(tenant, sessionId);
    const now = this.deps.clock.now().getTime();
    if (
      !session ||
      session.clientId !== PROVIDER_CLIENT ||
      session.revokedAt ||
      session.expiresAt.getTime() <= now ||
      session.absoluteExpiresAt.getTime() <= now
    ) {
      return null;
    }
    const user = await this.deps.accounts.findUser(tenant, session.userId);
    if (!user || user.disabledAt) return null;
    return { user, session };
  }

  /** Ends a provider session and the client sessions issued from it (RP-initiated logout, a new login in the browser). */
  /** The same user signed in again in this browser: the new session takes over the old one's client sessions. */
  async replace(tenant: Tenant, previousSessionId: string, sessionId: string): Promise<void> {
    await this.deps.sessions.handOverChildren(tenant, previousSessionId, sessionId);
  }

  async end(tenant: Tenant, sessionId: string): Promise<void> {
    await this.deps.sessions.endWithChildren(tenant, sessionId, "logout");
  }
}
