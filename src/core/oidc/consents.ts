import type { Clock } from "../ports/clock.js";
import type { Database, Tenant } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { SessionService } from "../sessions/sessions.js";

/** A user's consent as the user sees it (`GET /v1/consents`). */
export interface GrantedConsent {
  clientId: string;
  clientName: string;
  scopes: string[];
  /** When scopes were last granted to the client. */
  grantedAt: Date;
}

export interface ConsentDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  sessions: Pick<SessionService, "revokeAllOfClient">;
}

/**
 * What users let third-party clients have, remembered per user and client
 * so the consent page asks again only for scopes not granted yet.
 * Withdrawing a consent also ends the user's sessions of that client: the
 * client keeps nothing it was given on the strength of that consent.
 */
export class ConsentService {
  constructor(private readonly deps: ConsentDeps) {}

  /** The scopes the user granted the client so far, or null when they never did (or withdrew). */
  async granted(tenant: Tenant, userId: string, clientId: string): Promise<string[] | null> {
    return (await this.deps.db.consents.find(tenant.id, userId, clientId))?.scopes ?? null;
  }

  /** Adds the scopes to what the user granted the client before. */
  async grant(tenant: Tenant, userId: string, clientId: string, scopes: string[]): Promise<void> {
    await this.deps.db.consents.grant(tenant.id, userId, clientId, scopes, this.deps.clock.now());
  }

  /** The user's consents to live clients, most recently granted first. */
  async list(tenant: Tenant, userId: string): Promise<GrantedConsent[]> {
    const consents = await this.deps.db.consents.listWithClientNames(tenant.id, userId);
    return consents.map((consent) => ({
      clientId: consent.clientId,
      clientName: consent.clientName,
      scopes: consent.scopes,
      grantedAt: consent.updatedAt,
    }));
  }

  /** Withdraws the consent and revokes the user's sessions of the client; resolves whether there was a consent. */
  async revoke(tenant: Tenant, userId: string, clientId: string): Promise<boolean> {
    if (!(await this.deps.db.consents.revoke(tenant.id, userId, clientId))) return false;
    await this.deps.sessions.revokeAllOfClient(tenant, clientId, "consent_revoked", userId);
    this.deps.logger.info("consent_revoked", { tenant_id: tenant.id, user_id: userId, client_id: clientId });
    return true;
  }
}
