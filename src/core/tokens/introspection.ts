import type { Tenant } from "../ports/database.js";
import type { AccessTokenBlocklist } from "../sessions/blocklist.js";
import type { SessionService } from "../sessions/sessions.js";
import { type AccessTokens, InvalidTokenError } from "./access-token.js";

type ActiveIntrospection = { active: true } & Record<string, unknown>;
export type Introspection = { active: false } | ActiveIntrospection;

/**
 * Far above any token this service issues: a longer one is unknown (RFC 7662
 * §2.2 inactive, RFC 7009 §2.2 a 200), and costs no lookup.
 */
const MAX_TOKEN_LENGTH = 8192;

/**
 * Token introspection (RFC 7662) and revocation (RFC 7009) for other
 * services. Any token that is not active for this tenant (malformed,
 * forged, expired, revoked, spent, another tenant's) is `{active: false}`
 * with nothing else. The hint only orders the search (RFC 7662 §2.1).
 */
export class TokenIntrospection {
  constructor(
    private readonly deps: { tokens: AccessTokens; blocklist: AccessTokenBlocklist; sessions: SessionService },
  ) {}

  /**
   * `clientId`: the caller is that OAuth client, which learns only about
   * tokens issued to it; any other token is `{active: false}` to it.
   */
  async introspect(tenant: Tenant, token: string, hint?: string, clientId?: string): Promise<Introspection> {
    if (token.length > MAX_TOKEN_LENGTH) return { active: false };
    const lookups = hint === "refresh_token" ? [this.refresh, this.access] : [this.access, this.refresh];
    for (const lookup of lookups) {
      const found = await lookup.call(this, tenant, token);
      if (found) return clientId === undefined || found.client_id === clientId ? found : { active: false };
    }
    return { active: false };
  }

  private async access(tenant: Tenant, token: string): Promise<ActiveIntrospection | null> {
    const claims = await this.deps.tokens.verify(tenant, token).catch((error: unknown) => {
      if (error instanceof InvalidTokenError) return null;
      throw error;
    });
    if (!claims || (await this.deps.blocklist.isRevoked(claims))) return null;
    return {
      active: true,
      token_type: "Bearer",
      sub: claims.sub,
      sid: claims.sid,
      tid: claims.tid,
      scope: claims.scope,
      client_id: claims.client_id,
      exp: claims.exp,
      iat: claims.iat,
      nbf: claims.nbf,
      iss: claims.iss,
      aud: claims.aud,
      jti: claims.jti,
    };
  }

  private async refresh(tenant: Tenant, token: string): Promise<ActiveIntrospection | null> {
    const found = await this.deps.sessions.inspect(tenant, token);
    if (!found) return null;
    return {
      active: true,
      token_type: "refresh_token",
      sub: found.claims.userId,
      sid: found.sessionId,
      tid: tenant.id,
      scope: found.claims.scope,
      client_id: found.claims.clientId,
      exp: Math.floor(found.idleExpiresAt / 1000),
      iat: Math.floor(found.issuedAt / 1000),
      iss: this.deps.tokens.issuer(tenant),
    };
  }

  /**
   * RFC 7009: a refresh token revokes its session (and so its access
   * tokens); an access token is blocklisted until it expires. Unknown or
   * invalid tokens change nothing; the caller gets 200 either way. A caller
   * that is an OAuth client (`clientId`) revokes only tokens issued to it
   * (RFC 7009 §2.1); another client's token is left alone, answered alike.
   */
  async revoke(tenant: Tenant, token: string, clientId?: string): Promise<void> {
    if (token.length > MAX_TOKEN_LENGTH) return;
    const mine = (issuedTo: string) => clientId === undefined || issuedTo === clientId;
    const refresh = await this.deps.sessions.inspect(tenant, token);
    if (refresh) {
      if (mine(refresh.claims.clientId)) await this.deps.sessions.revoke(tenant, refresh.sessionId, "token_revocation");
      return;
    }
    const claims = await this.deps.tokens.verify(tenant, token).catch(() => null);
    if (claims && mine(claims.client_id)) await this.deps.blocklist.blockToken(claims);
  }
}
