import type { Clock, Random } from "../ports/clock.js";
import type { Database, SessionRecord, Tenant, UserRecord } from "../ports/database.js";
import { settingsOf } from "../tenant-settings.js";
import type { AccessTokens } from "../tokens/access-token.js";

/** Scopes every access token carries; users may hold more (`users.scopes`). */
export const DEFAULT_SCOPES = ["openid", "profile", "email"];
/** `client_id` of tokens issued to the service's own first-party login (no OAuth client involved). */
export const FIRST_PARTY_CLIENT = "first-party";

/** API.md's token response (the refresh-token members arrive with the sessions issue). */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  session_id: string;
}

export interface LoginMethod {
  /** `password`, `oauth:{provider}`, `saml:{connection}`. */
  authMethod: string;
  /** RFC 8176 method references: `["pwd"]`, `["oauth"]`, `["saml"]`. */
  amr: string[];
}

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export class SessionService {
  constructor(
    private readonly db: Database,
    private readonly tokens: AccessTokens,
    private readonly deps: { clock: Clock; random: Random },
  ) {}

  /** A new session for a user who just authenticated, and its first tokens. */
  async start(
    tenant: Tenant,
    user: UserRecord,
    method: LoginMethod,
    client: ClientInfo,
  ): Promise<{ session: SessionRecord; response: TokenResponse }> {
    const now = this.deps.clock.now();
    const settings = settingsOf(tenant);
    const absolute = new Date(now.getTime() + settings.sessionAbsoluteTtl * 1000);
    const idle = new Date(Math.min(now.getTime() + settings.sessionIdleTtl * 1000, absolute.getTime()));
    const scope = [...new Set([...DEFAULT_SCOPES, ...user.scopes])].join(" ");
    const session = await this.db.sessions.create({
      id: this.deps.random.uuid(),
      tenantId: tenant.id,
      userId: user.id,
      authMethod: method.authMethod,
      amr: method.amr,
      clientId: FIRST_PARTY_CLIENT,
      scope,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      authTime: now,
      lastUsedAt: now,
      expiresAt: idle,
      absoluteExpiresAt: absolute,
    });
    const { token, claims } = await this.tokens.issue(tenant, {
      userId: user.id,
      sessionId: session.id,
      clientId: FIRST_PARTY_CLIENT,
      scope,
      authTime: now,
      amr: method.amr,
    });
    return {
      session,
      response: {
        access_token: token,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        session_id: session.id,
      },
    };
  }
}
