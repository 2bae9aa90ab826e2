import { versionOf } from "../accounts/user-versions.js";
import { type AppError, errors } from "../errors.js";
import type { ListingPosition, SessionRecord, Tenant, UserRecord } from "../ports/database.js";
import { settingsOf } from "../tenant-settings.js";
import { type AccessTokenClaims, CLOCK_SKEW_SECONDS } from "../tokens/access-token.js";
import { BulkRevocation } from "./bulk-revocation.js";
import { FIRST_PARTY_CLIENT, liveLedgerState } from "./session-ledger.js";
import { issueTokens, SessionRefresh } from "./session-refresh.js";
import { endSessions } from "./session-revocation.js";
import type { SessionClaims } from "./session-state.js";
import { SessionStore } from "./session-store.js";
import type {
  ActiveRefreshToken,
  ClientInfo,
  ClientRefresh,
  IssuedTokens,
  LoginMethod,
  RevocationReason,
  SessionDeps,
  SessionOptions,
  TokenResponse,
} from "./session-types.js";
import { claimsOfCurrentUser, narrowScope, scopeOf } from "./user-claims.js";

export type {
  ActiveRefreshToken,
  Background,
  ClientInfo,
  LoginMethod,
  RevocationReason,
  SessionDeps,
  SessionOptions,
  TokenResponse,
} from "./session-types.js";

/**
 * Sessions: the Postgres row is the ledger, Redis the hot path (refresh-token
 * rotation with reuse detection, and the blocklist that makes revocation
 * reach access tokens at once).
 */
export class SessionService {
  private readonly store: SessionStore;
  private readonly refreshes: SessionRefresh;
  private readonly bulk: BulkRevocation;

  constructor(private readonly deps: SessionDeps) {
    this.store = new SessionStore(deps.kv);
    this.refreshes = new SessionRefresh(deps, this.store, (tenant, id, reason) => this.revoke(tenant, id, reason));
    this.bulk = new BulkRevocation(deps, this.store, (reason, count) => this.countRevoked(reason, count));
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** A new session for a user who just authenticated, and its first tokens. */
  async start(
    tenant: Tenant,
    user: UserRecord,
    method: LoginMethod,
    client: ClientInfo,
    options: SessionOptions = {},
  ): Promise<{ session: SessionRecord; response: TokenResponse }> {
    const now = this.now();
    const settings = settingsOf(tenant);
    const absolute = now + settings.sessionAbsoluteTtl * 1000;
    const idle = Math.min(now + (options.refreshTokenTtl ?? settings.sessionIdleTtl) * 1000, absolute);
    const sessionId = options.sessionId ?? this.deps.random.uuid();
    const refresh = await this.deps.refreshTokens.mint(tenant.id, sessionId, 0);
    // A client gets no scope its user does not hold, whatever the client may ask for.
    const scope = options.scope === undefined ? scopeOf(user) : narrowScope(options.scope, scopeOf(user));
    const claims: SessionClaims = {
      userId: user.id,
      authTime: Math.floor((options.authTime?.getTime() ?? now) / 1000),
      amr: options.amr ?? method.amr,
      scope,
      clientId: options.clientId ?? FIRST_PARTY_CLIENT,
      userVersion: versionOf(user),
      ...(options.clientId === undefined || options.scope === undefined ? {} : { grant: scope }),
      ...(options.parentSessionId === undefined ? {} : { parentSessionId: options.parentSessionId }),
    };
    const row = await this.deps.db.sessions.create({
      id: sessionId,
      tenantId: tenant.id,
      userId: user.id,
      authMethod: method.authMethod,
      amr: claims.amr,
      clientId: claims.clientId,
      scope: claims.scope,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      authTime: new Date(claims.authTime * 1000),
      lastUsedAt: new Date(now),
      expiresAt: new Date(idle),
      absoluteExpiresAt: new Date(absolute),
      refreshHash: refresh.hash,
    });
    // A disable, deletion or password change that committed while this login ran listed the user's
    // sessions before this one existed: the insert saw it, so the session goes before it is used.
    const refusal = !row.user
      ? errors.invalidCredentials()
      : row.user.disabled
        ? errors.accountDisabled()
        : method.authMethod === "password" && row.user.passwordHash !== user.passwordHash
          ? errors.invalidCredentials()
          : await this.grantRefusal(options);
    if (refusal) {
      await this.deps.db.sessions.discard(tenant.id, sessionId);
      throw refusal;
    }
    const state = { generation: 0, hash: refresh.hash, idleExpiresAt: idle, absoluteExpiresAt: absolute, claims };
    await this.store.seed(sessionId, state, now);
    if (options.parentSessionId && !(await this.store.addChild(options.parentSessionId, sessionId, absolute - now))) {
      // The provider session ended while this one was being issued: it ends too.
      await this.revoke(tenant, sessionId, "logout");
      throw errors.invalidGrant("The session at the provider has ended.");
    }
    const session = { id: sessionId, claims, idleExpiresAt: idle };
    const access = options.accessTokenTtl === undefined ? {} : { ttl: options.accessTokenTtl };
    const { response } = await issueTokens(this.deps, tenant, session, refresh.text, access);
    return { session: row, response };
  }

  private async grantRefusal(options: SessionOptions): Promise<AppError | null> {
    const reason = options.stillGranted ? await options.stillGranted() : null;
    return reason === null ? null : errors.invalidGrant(reason);
  }

  /**
   * Spends a refresh token and returns the next pair (RFC 9700 §4.14.2).
   * Anything unusable is `invalid_grant` (401); a spent token presented after
   * the grace window revokes its session. Only sessions of the first-party
   * login: an OAuth client's refresh tokens go to the token endpoint.
   */
  async refresh(tenant: Tenant, presented: unknown, arrivedAt?: number): Promise<TokenResponse> {
    return (await this.refreshes.spend(tenant, presented, null, arrivedAt)).response;
  }

  /**
   * The token endpoint's refresh (RFC 6749 §6): as `refresh`, for a session
   * of the authenticated client only, optionally narrowed to `scope` for this
   * response. Checked before the token is spent, so a client's mistake does
   * not cost its session.
   */
  async refreshForClient(
    tenant: Tenant,
    presented: string,
    binding: ClientRefresh,
    arrivedAt?: number,
  ): Promise<IssuedTokens> {
    return this.refreshes.spend(tenant, presented, binding, arrivedAt);
  }

  private countRevoked(reason: RevocationReason, count = 1): void {
    if (count > 0) this.deps.metrics.increment("sessions_revoked_total", { reason }, count);
  }

  /**
   * Whether a refresh token is the current one of a live session, without
   * spending it. The token just spent inside the grace window is not active.
   */
  async inspect(tenant: Tenant, presented: string): Promise<ActiveRefreshToken | null> {
    const token = await this.deps.refreshTokens.parse(tenant.id, presented);
    if (!token) return null;
    const held = await this.store.read(token.sessionId);
    if (held === "revoked") return null;
    const now = this.now();
    // The ledger also says when the current token was issued: its rotation is recorded before it is handed out.
    const record = await this.deps.db.sessions.findById(tenant.id, token.sessionId);
    const state = held ?? liveLedgerState(record, now);
    if (!state || !record || state.idleExpiresAt <= now || state.absoluteExpiresAt <= now) return null;
    const current = state.generation === token.generation && state.hash === token.hash;
    // A ledger behind a lost Redis may not know the newest generation yet.
    const ahead = held === null && token.generation > state.generation;
    if (!current && !ahead) return null;
    const claims = await claimsOfCurrentUser(this.deps, tenant.id, state.claims);
    if (claims === "ended") return null;
    return {
      sessionId: token.sessionId,
      claims: claims === "unchanged" ? state.claims : claims,
      idleExpiresAt: state.idleExpiresAt,
      issuedAt: record.lastUsedAt.getTime(),
    };
  }

  /**
   * Revokes a session: its refresh state goes and its access tokens are
   * blocklisted, then the ledger records it (endSessions). Resolves whether
   * the session was live.
   */
  async revoke(tenant: Tenant, sessionId: string, reason: RevocationReason): Promise<boolean> {
    const at = new Date(this.now());
    const live = await endSessions(this.store, tenant, [sessionId], reason, () =>
      this.deps.db.sessions.revoke(tenant.id, sessionId, at, reason),
    );
    if (live) {
      this.countRevoked(reason);
      this.deps.logger.info("session_revoked", { tenant_id: tenant.id, session_id: sessionId, reason });
    }
    return live;
  }

  /**
   * Ends a provider session and the OAuth client sessions issued from it
   * (RP-initiated logout). The provider session is revoked first, so a code
   * exchange racing this cannot add a child that survives. Resolves whether
   * the provider session was live.
   */
  async endWithChildren(
    tenant: Tenant,
    providerSessionId: string,
    reason: RevocationReason = "logout",
  ): Promise<boolean> {
    const live = await this.revoke(tenant, providerSessionId, reason);
    const children = await this.store.takeChildren(providerSessionId);
    await Promise.all(children.map((id) => this.revoke(tenant, id, reason)));
    return live;
  }

  /**
   * A fresh login (prompt=login, max_age) by the same user in the same
   * browser: the client sessions of the old provider session move to the new
   * one, and only the old provider session ends, so the user's other apps
   * stay signed in and a later logout still reaches them.
   */
  async handOverChildren(tenant: Tenant, fromSessionId: string, toSessionId: string): Promise<void> {
    await this.revoke(tenant, fromSessionId, "logout");
    const ttl = settingsOf(tenant).sessionAbsoluteTtl * 1000;
    for (const child of await this.store.takeChildren(fromSessionId))
      await this.store.addChild(toSessionId, child, ttl);
  }

  /** Logout: the caller's session ends and the presented access token is blocklisted by `jti` too. */
  async logout(tenant: Tenant, auth: AccessTokenClaims, refreshToken?: string): Promise<void> {
    const at = new Date(this.now());
    const live = await endSessions(this.store, tenant, [auth.sid], "logout", () =>
      this.deps.db.sessions.revoke(tenant.id, auth.sid, at, "logout"),
    );
    // Last: should ending the session fail, the caller still holds a token to retry the logout with.
    await this.store.blockJti(auth.sid, auth.jti, (auth.exp + CLOCK_SKEW_SECONDS) * 1000 - at.getTime());
    if (live) this.countRevoked("logout");
    // A refresh token of another of the caller's sessions (e.g. from a cookie) ends too.
    const other = refreshToken ? await this.deps.refreshTokens.parse(tenant.id, refreshToken) : undefined;
    if (other && other.sessionId !== auth.sid) {
      const row = await this.deps.db.sessions.findById(tenant.id, other.sessionId);
      if (row?.userId === auth.sub) await this.revoke(tenant, other.sessionId, "logout");
    }
    this.deps.logger.info("logout", { tenant_id: tenant.id, session_id: auth.sid, user_id: auth.sub });
  }

  /** Revokes every session of a user but `except` (the caller's own, after a password change); resolves how many were live. */
  revokeAllOfUser(
    tenant: Tenant,
    userId: string,
    reason: "admin" | "user_ended" | "password_changed" = "admin",
    except?: string,
  ): Promise<number> {
    return this.bulk.ofUser(tenant, userId, reason, except);
  }

  /** Revokes every session of the tenant (BulkRevocation.ofTenant); resolves how many were live. */
  revokeAllOfTenant(tenant: Tenant): Promise<number> {
    return this.bulk.ofTenant(tenant, "admin");
  }

  /** Revokes every session of an OAuth client (only `userId`'s when given); resolves how many were live. */
  revokeAllOfClient(
    tenant: Tenant,
    clientId: string,
    reason: "client_deleted" | "consent_revoked",
    userId?: string,
  ): Promise<number> {
    return this.bulk.ofClient(tenant, clientId, reason, userId);
  }

  /** Ends the client's sessions around `change` (BulkRevocation.ofClientAround). */
  revokeAllOfClientAround<T>(
    tenant: Tenant,
    clientId: string,
    reason: "client_deleted" | "client_type_changed",
    change: () => Promise<T>,
  ): Promise<T> {
    return this.bulk.ofClientAround(tenant, clientId, reason, change);
  }

  find(tenant: Tenant, sessionId: string): Promise<SessionRecord | null> {
    return this.deps.db.sessions.findById(tenant.id, sessionId);
  }

  /** Up to `limit` of the user's live sessions, most recently used first, after `after`. */
  listLive(
    tenant: Tenant,
    userId: string,
    after: ListingPosition | null,
    limit: number,
  ): Promise<{ session: SessionRecord; position: ListingPosition }[]> {
    return this.deps.db.sessions.listLive(tenant.id, userId, new Date(this.now()), after, limit);
  }
}
