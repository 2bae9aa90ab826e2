import { AppError } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, Tenant } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { SessionService, TokenResponse } from "../sessions/sessions.js";
import { scopeList } from "../sessions/user-claims.js";
import { type AccessTokens, clientTokenSessionId } from "../tokens/access-token.js";
import type { AuthorizationCodes } from "./authorization-codes.js";
import type { GrantType, OAuthClient } from "./client-types.js";
import type { IdTokens } from "./id-tokens.js";
import { OAuthError } from "./oauth-error.js";

/** RFC 6749 §5.1 (and OpenID Connect Core §3.1.3.3 for `id_token`). */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  id_token?: string;
  /** RFC 6749 §3.3: at least one scope token; absent when nothing was granted. */
  scope?: string;
}

const GRANT_TYPES: readonly string[] = ["authorization_code", "refresh_token", "client_credentials"];
/** Scopes about a user (OpenID Connect Core §5.4): a client's own token has no user. */
const USER_SCOPES = new Set(["openid", "profile", "email"]);
/** RFC 6749 §3.3: scope tokens are NQCHAR (no space, quote or backslash). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;

export interface TokenEndpointDeps {
  db: Database;
  codes: AuthorizationCodes;
  sessions: SessionService;
  tokens: AccessTokens;
  idTokens: IdTokens;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** Who a request at the token endpoint is: its authenticated client and the form it sent. */
export interface TokenRequest {
  client: OAuthClient;
  /** The form body (RFC 6749 §3.2), each parameter once. */
  form: Readonly<Record<string, string>>;
  /** When the request reached the service (clock ms): a refresh that waited too long is refused unspent. */
  arrivedAt?: number;
}

/** A session's tokens and what its ID token says. */
interface SessionTokens {
  response: TokenResponse;
  scope: string;
  userId: string;
  authTime: number;
  amr: string[];
  providerSessionId?: string;
  nonce: string | null;
}

/** The scope parameter as a list (RFC 6749 §3.3), or undefined when it is absent or empty. */
function requestedScope(form: TokenRequest["form"]): string[] | undefined {
  const list = scopeList(form.scope ?? "");
  if (list.length === 0) return undefined;
  if (!list.every((s) => SCOPE_TOKEN.test(s))) throw new OAuthError("invalid_scope", "scope is malformed.");
  return [...new Set(list)];
}

const required = (form: TokenRequest["form"], name: string): string => {
  const value = form[name];
  if (!value) throw new OAuthError("invalid_request", `${name} is required.`);
  return value;
};

/**
 * The sessions' refusals of the grant's user (API.md problems) as RFC 6749 §5.2
 * answers them: `invalid_grant`, and so is a user disabled (403
 * account_disabled) or deleted or given a new password (401
 * invalid_credentials) while the session was being issued.
 */
const REFUSED_GRANT = new Set(["invalid_grant", "account_disabled", "invalid_credentials"]);

async function asOAuthGrant<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError && REFUSED_GRANT.has(error.code)) {
      throw new OAuthError(
        "invalid_grant",
        error.code === "invalid_grant" ? error.detail : "The account is no longer active.",
      );
    }
    throw error;
  }
}

/**
 * The grants of the token endpoint (RFC 6749 §4.1.3, §4.4, §6) for an
 * authenticated client; every failure is an RFC 6749 §5.2 OAuthError.
 */
export class TokenEndpoint {
  constructor(private readonly deps: TokenEndpointDeps) {}

  async grant(tenant: Tenant, request: TokenRequest): Promise<OAuthTokenResponse> {
    const grantType = required(request.form, "grant_type");
    if (!GRANT_TYPES.includes(grantType)) {
      throw new OAuthError("unsupported_grant_type", `grant_type ${grantType} is not supported.`);
    }
    if (!request.client.grantTypes.includes(grantType as GrantType)) {
      throw new OAuthError("unauthorized_client", `This client may not use the ${grantType} grant.`);
    }
    switch (grantType as GrantType) {
      case "authorization_code":
        return this.answer(tenant, request.client, await this.redeemCode(tenant, request));
      case "refresh_token":
        return this.answer(tenant, request.client, await this.refresh(tenant, request));
      case "client_credentials":
        return this.clientCredentials(tenant, request);
    }
  }

  /** RFC 6749 §4.1.3: a code of this client, its redirect URI and PKCE verifier; a new session under the provider's. */
  private async redeemCode(tenant: Tenant, { client, form }: TokenRequest): Promise<SessionTokens> {
    const { codes, sessions, db } = this.deps;
    const code = required(form, "code");
    const sessionId = this.deps.random.uuid();
    const presented = {
      clientId: client.clientId,
      publicClient: client.type === "public",
      redirectUri: form.redirect_uri,
      codeVerifier: form.code_verifier,
    };
    const redemption = await codes.redeem(tenant, code, presented, sessionId);
    if (!redemption.ok) throw new OAuthError("invalid_grant", redemption.reason);
    const { grant } = redemption;
    const [user, provider, consent] = await Promise.all([
      db.users.findById(tenant.id, grant.userId),
      sessions.find(tenant, grant.providerSessionId),
      // A third-party client holds a code on the strength of the user's consent, which may be withdrawn since.
      client.firstParty ? null : db.consents.find(tenant.id, grant.userId, client.clientId),
    ]);
    if (!user || user.disabledAt) throw new OAuthError("invalid_grant", "The account is no longer active.");
    if (!client.firstParty && !consent) {
      throw new OAuthError("invalid_grant", "The user withdrew their consent to this client.");
    }
    const now = this.deps.clock.now().getTime();
    if (!provider || provider.revokedAt || provider.userId !== user.id || provider.expiresAt.getTime() <= now) {
      throw new OAuthError("invalid_grant", "The session at the provider has ended.");
    }
    const { response, session } = await asOAuthGrant(
      sessions.start(
        tenant,
        user,
        { authMethod: provider.authMethod, amr: grant.amr },
        // The user's browser, as the provider session saw it (the request may come from the client's server).
        { userAgent: provider.userAgent, ip: provider.ip },
        {
          sessionId,
          clientId: client.clientId,
          scope: grant.scope,
          authTime: new Date(grant.authTime * 1000),
          amr: grant.amr,
          parentSessionId: grant.providerSessionId,
          ...lifetimesOf(client),
          stillGranted: () => this.grantChanged(tenant, client, grant.userId),
        },
      ),
    );
    this.deps.logger.info("authorization_code_redeemed", {
      tenant_id: tenant.id,
      client_id: client.clientId,
      user_id: user.id,
      session_id: sessionId,
    });
    return {
      response,
      scope: session.scope,
      userId: user.id,
      authTime: grant.authTime,
      amr: grant.amr,
      providerSessionId: grant.providerSessionId,
      nonce: grant.nonce,
    };
  }

  /** Why a code's grant no longer holds once its session is in the ledger: the client deleted or retyped, the consent withdrawn. */
  private async grantChanged(tenant: Tenant, client: OAuthClient, userId: string): Promise<string | null> {
    const [current, consent] = await Promise.all([
      this.deps.db.clients.find(tenant.id, client.clientId),
      client.firstParty ? null : this.deps.db.consents.find(tenant.id, userId, client.clientId),
    ]);
    if (!current || current.type !== client.type) return "The client changed while the session was being issued.";
    if (!client.firstParty && !consent) return "The user withdrew their consent to this client.";
    return null;
  }

  /**
   * RFC 6749 §6: only the client's own sessions; the granted scope within the
   * client's registration as it is now, and a narrower one for this answer, never a wider one.
   */
  private async refresh(tenant: Tenant, { client, form, arrivedAt }: TokenRequest): Promise<SessionTokens> {
    const presented = required(form, "refresh_token");
    const scope = requestedScope(form);
    const issued = await asOAuthGrant(
      this.deps.sessions.refreshForClient(
        tenant,
        presented,
        {
          clientId: client.clientId,
          clientScopes: client.scopes,
          ...lifetimesOf(client),
          ...(scope ? { scope } : {}),
        },
        arrivedAt,
      ),
    );
    const { claims } = issued;
    return {
      response: issued.response,
      scope: issued.scope,
      userId: claims.userId,
      authTime: claims.authTime,
      amr: claims.amr,
      ...(claims.parentSessionId ? { providerSessionId: claims.parentSessionId } : {}),
      // OpenID Connect Core §12.2: the nonce belongs to the original authentication.
      nonce: null,
    };
  }

  /** RFC 6749 §5.1, with an ID token when the scope has `openid` (OpenID Connect Core §3.1.3.3). */
  private async answer(tenant: Tenant, client: OAuthClient, issued: SessionTokens): Promise<OAuthTokenResponse> {
    const { response } = issued;
    const body: OAuthTokenResponse = {
      access_token: response.access_token,
      token_type: "Bearer",
      expires_in: response.expires_in,
      scope: issued.scope,
    };
    if (client.grantTypes.includes("refresh_token")) body.refresh_token = response.refresh_token;
    if (scopeList(issued.scope).includes("openid")) {
      body.id_token = await this.deps.idTokens.issue(tenant, {
        userId: issued.userId,
        clientId: client.clientId,
        authTime: issued.authTime,
        amr: issued.amr,
        nonce: issued.nonce,
        ...(issued.providerSessionId ? { sessionId: issued.providerSessionId } : {}),
        accessToken: response.access_token,
        lifetime: response.expires_in,
      });
    }
    return body;
  }

  /**
   * RFC 6749 §4.4: a confidential client acting for itself. Its token's
   * subject is the client (RFC 9068 §2.2) and its `sid` the client's own, so
   * deleting the client revokes it; there is no refresh token (§4.4.3).
   */
  private async clientCredentials(tenant: Tenant, { client, form }: TokenRequest): Promise<OAuthTokenResponse> {
    if (client.type !== "confidential") {
      throw new OAuthError("unauthorized_client", "Only a confidential client may act for itself.");
    }
    const allowed = client.scopes.filter((s) => !USER_SCOPES.has(s));
    const requested = requestedScope(form) ?? allowed;
    const refused = requested.filter((s) => !allowed.includes(s));
    if (refused.length > 0) throw new OAuthError("invalid_scope", `Not allowed for this grant: ${refused.join(" ")}.`);
    const { token, claims } = await this.deps.tokens.issue(tenant, {
      userId: client.clientId,
      sessionId: await clientTokenSessionId(client.clientId),
      clientId: client.clientId,
      scope: requested.join(" "),
      ...(client.accessTokenTtl === null ? {} : { ttl: client.accessTokenTtl }),
    });
    const granted = claims.scope === "" ? {} : { scope: claims.scope };
    return { access_token: token, token_type: "Bearer", expires_in: claims.exp - claims.iat, ...granted };
  }
}

/** A client's own token lifetimes, where it has them (the tenant's otherwise). */
function lifetimesOf(client: OAuthClient): { accessTokenTtl?: number; refreshTokenTtl?: number } {
  return {
    ...(client.accessTokenTtl === null ? {} : { accessTokenTtl: client.accessTokenTtl }),
    ...(client.refreshTokenTtl === null ? {} : { refreshTokenTtl: client.refreshTokenTtl }),
  };
}
