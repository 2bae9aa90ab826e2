import { type UserVersions, versionOf } from "../accounts/user-versions.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, SessionRecord, Tenant, UserRecord } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import type { Metrics } from "../ports/telemetry.js";
import { settingsOf } from "../tenant-settings.js";
import { type AccessTokenClaims, type AccessTokens, CLOCK_SKEW_SECONDS } from "../tokens/access-token.js";
import type { RefreshToken, RefreshTokens } from "./refresh-token.js";
import { FIRST_PARTY_CLIENT, liveLedgerState } from "./session-ledger.js";
import type { SessionClaims, SessionState } from "./session-state.js";
import { SessionStore } from "./session-store.js";
import type { ActiveRefreshToken, ClientInfo, LoginMethod, RevocationReason, TokenResponse } from "./session-types.js";
import { claimsOfCurrentUser, scopeOf } from "./user-claims.js";

export type {
  ActiveRefreshToken,
  ClientInfo,
  LoginMethod,
  RevocationReason,
  TokenResponse,
} from "./session-types.js";

export interface SessionDeps {
  db: Database;
  kv: KeyValueStore;
  tokens: AccessTokens;
  refreshTokens: RefreshTokens;
  userVersions: UserVersions;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** refreshes_total, refresh_reuse_detected_total, sessions_revoked_total. */
  metrics: Metrics;
  /** How long the token spent just before still yields the same successor (ms). */
  graceMs: number;
}

/** Takes work off the response's critical path (Workers: waitUntil; Node: tracked until shutdown). */
export type Background = (task: Promise<unknown>) => void;

/**
 * Sessions: the Postgres row is the ledger, Redis the hot path (refresh-token
 * rotation with reuse detection, and the blocklist that makes revocation
 * reach access tokens at once).
 */
export class SessionService {
  private readonly store: SessionStore;

  constructor(private readonly deps: SessionDeps) {
    this.store = new SessionStore(deps.kv);
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** How long an access token of this tenant may stay valid after its session ends. */
  private revokedTtlMs(tenant: Tenant): number {
    return (settingsOf(tenant).accessTokenTtl + CLOCK_SKEW_SECONDS) * 1000;
  }

  /** A new session for a user who just authenticated, and its first tokens. */
  async start(
    tenant: Tenant,
    user: UserRecord,
    method: LoginMethod,
    client: ClientInfo,
  ): Promise<{ session: SessionRecord; response: TokenResponse }> {
    const now = this.now();
    const settings = settingsOf(tenant);
    const absolute = now + settings.sessionAbsoluteTtl * 1000;
    const idle = Math.min(now + settings.sessionIdleTtl * 1000, absolute);
    const sessionId = this.deps.random.uuid();
    const refresh = await this.deps.refreshTokens.mint(tenant.id, sessionId, 0);
    const claims: SessionClaims = {
      userId: user.id,
      authTime: Math.floor(now / 1000),
      amr: method.amr,
      scope: scopeOf(user),
      clientId: FIRST_PARTY_CLIENT,
      userVersion: versionOf(user),
    };
    const session = await this.deps.db.sessions.create({
      id: sessionId,
      tenantId: tenant.id,
      userId: user.id,
      authMethod: method.authMethod,
      amr: claims.amr,
      clientId: claims.clientId,
      scope: claims.scope,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      authTime: new Date(now),
      lastUsedAt: new Date(now),
      expiresAt: new Date(idle),
      absoluteExpiresAt: new Date(absolute),
      refreshHash: refresh.hash,
    });
    const state = { generation: 0, hash: refresh.hash, idleExpiresAt: idle, absoluteExpiresAt: absolute, claims };
    await this.store.seed(sessionId, state, now);
    return { session, response: await this.respond(tenant, sessionId, claims, refresh.text, idle) };
  }

  private async respond(
    tenant: Tenant,
    sessionId: string,
    claims: SessionClaims,
    refreshToken: string,
    idleExpiresAt: number,
  ): Promise<TokenResponse> {
    const { token, claims: issued } = await this.deps.tokens.issue(tenant, {
      userId: claims.userId,
      sessionId,
      clientId: claims.clientId,
      scope: claims.scope,
      authTime: new Date(claims.authTime * 1000),
      amr: claims.amr,
    });
    return {
      access_token: token,
      token_type: "Bearer",
      expires_in: issued.exp - issued.iat,
      refresh_token: refreshToken,
      refresh_expires_in: Math.max(0, Math.floor((idleExpiresAt - this.now()) / 1000)),
      session_id: sessionId,
    };
  }

  /**
   * Spends a refresh token and returns the next pair (RFC 9700 §4.14.2).
   * Anything unusable is `invalid_grant` (401); a spent token presented after
   * the grace window revokes its session.
   */
  async refresh(tenant: Tenant, presented: unknown, background: Background): Promise<TokenResponse> {
    const token = await this.deps.refreshTokens.parse(tenant.id, presented);
    if (!token) throw this.refreshRefused();
    const successor = await this.deps.refreshTokens.mint(tenant.id, token.sessionId, token.generation + 1);
    const base = {
      generation: token.generation,
      hash: token.hash,
      successorHash: successor.hash,
      sealedSuccessor: await this.deps.refreshTokens.sealSuccessor(token.text, successor.text),
      graceMs: this.deps.graceMs,
      idleTtlMs: settingsOf(tenant).sessionIdleTtl * 1000,
      revokedTtlMs: this.revokedTtlMs(tenant),
    };
    let outcome = await this.store.rotate(token.sessionId, { ...base, now: this.now(), seed: null });
    if (outcome.kind === "missing") {
      // Redis lost the session (restart without persistence, flush): re-seed from the ledger.
      const seed = await this.ledgerState(tenant, token);
      if (!seed) throw this.refreshRefused();
      outcome = await this.store.rotate(token.sessionId, { ...base, now: this.now(), seed });
    }
    switch (outcome.kind) {
      case "rotated": {
        const claims = await this.claimsNow(tenant, token.sessionId, outcome.generation, outcome.claims);
        this.deps.metrics.increment("refreshes_total", { outcome: "rotated" });
        background(
          this.deps.db.sessions.recordRotation(tenant.id, token.sessionId, {
            generation: outcome.generation,
            refreshHash: successor.hash,
            at: new Date(this.now()),
            expiresAt: new Date(outcome.idleExpiresAt),
          }),
        );
        return this.respond(tenant, token.sessionId, claims, successor.text, outcome.idleExpiresAt);
      }
      case "grace": {
        const again = await this.deps.refreshTokens.openSuccessor(token.text, outcome.sealedSuccessor);
        if (!again) throw this.refreshRefused();
        const claims = await this.claimsNow(tenant, token.sessionId, outcome.generation, outcome.claims);
        this.deps.metrics.increment("refreshes_total", { outcome: "grace" });
        return this.respond(tenant, token.sessionId, claims, again, outcome.idleExpiresAt);
      }
      case "reuse": {
        const reason = "refresh_token_reuse";
        const live = await this.deps.db.sessions.revoke(tenant.id, token.sessionId, new Date(this.now()), reason);
        this.deps.metrics.increment("refreshes_total", { outcome: "reuse" });
        this.deps.metrics.increment("refresh_reuse_detected_total");
        if (live) this.countRevoked(reason);
        this.deps.logger.warn("refresh_token_reuse", {
          tenant_id: tenant.id,
          session_id: token.sessionId,
          ...(outcome.claims ? { user_id: outcome.claims.userId } : {}),
        });
        throw errors.invalidGrant("The refresh token was already used; the session is revoked.");
      }
      default:
        throw this.refreshRefused();
    }
  }

  /**
   * The claims a refreshed token carries: the session's, recomputed when its
   * user changed since (kept for the next refresh), or the session revoked
   * and the refresh refused when the user is deleted or disabled.
   */
  private async claimsNow(
    tenant: Tenant,
    sessionId: string,
    generation: number,
    claims: SessionClaims,
  ): Promise<SessionClaims> {
    const current = await claimsOfCurrentUser(this.deps, tenant.id, claims);
    if (current === "unchanged") return claims;
    if (current === "ended") {
      await this.revoke(tenant, sessionId, "user_ended");
      throw this.refreshRefused();
    }
    await this.store.replaceClaims(sessionId, generation, current);
    return current;
  }

  /** A refresh token that is malformed, forged, unknown, expired, spent past use or revoked: counted, then 401. */
  private refreshRefused() {
    this.deps.metrics.increment("refreshes_total", { outcome: "invalid" });
    return errors.invalidGrant();
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
    const state = held ?? (await this.ledgerState(tenant, token));
    const now = this.now();
    if (!state || state.idleExpiresAt <= now || state.absoluteExpiresAt <= now) return null;
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
    };
  }

  /** The session as the ledger knows it, when it is live, belongs to the tenant and the token is not older than it. */
  private async ledgerState(tenant: Tenant, token: RefreshToken): Promise<SessionState | null> {
    return liveLedgerState(await this.deps.db.sessions.findById(tenant.id, token.sessionId), this.now());
  }

  /**
   * Revokes a session: the ledger first (so a Redis loss cannot bring it
   * back), then Redis (its refresh state goes and its access tokens are
   * blocklisted). Resolves whether the session was live.
   */
  async revoke(tenant: Tenant, sessionId: string, reason: RevocationReason): Promise<boolean> {
    const live = await this.deps.db.sessions.revoke(tenant.id, sessionId, new Date(this.now()), reason);
    await this.store.revoke(sessionId, this.revokedTtlMs(tenant), reason);
    if (live) {
      this.countRevoked(reason);
      this.deps.logger.info("session_revoked", { tenant_id: tenant.id, session_id: sessionId, reason });
    }
    return live;
  }

  /** Logout: the caller's session ends and the presented access token is blocklisted by `jti` too. */
  async logout(tenant: Tenant, auth: AccessTokenClaims, refreshToken?: string): Promise<void> {
    if (await this.deps.db.sessions.revoke(tenant.id, auth.sid, new Date(this.now()), "logout")) {
      this.countRevoked("logout");
    }
    await Promise.all([
      this.store.revoke(auth.sid, this.revokedTtlMs(tenant), "logout"),
      this.store.blockJti(auth.jti, (auth.exp + CLOCK_SKEW_SECONDS) * 1000 - this.now()),
    ]);
    // A refresh token of another of the caller's sessions (e.g. from a cookie) ends too.
    const other = refreshToken ? await this.deps.refreshTokens.parse(tenant.id, refreshToken) : undefined;
    if (other && other.sessionId !== auth.sid) {
      const row = await this.deps.db.sessions.findById(tenant.id, other.sessionId);
      if (row?.userId === auth.sub) await this.revoke(tenant, other.sessionId, "logout");
    }
    this.deps.logger.info("logout", { tenant_id: tenant.id, session_id: auth.sid, user_id: auth.sub });
  }

  /** Revokes every session of a user but `except` (the caller's own, after a password change); resolves how many were live. */
  async revokeAllOfUser(
    tenant: Tenant,
    userId: string,
    reason: "admin" | "user_ended" | "password_changed" = "admin",
    except?: string,
  ): Promise<number> {
    const ids = await this.deps.db.sessions.revokeAllOfUser(tenant.id, userId, new Date(this.now()), reason, except);
    const ttl = this.revokedTtlMs(tenant);
    await Promise.all(ids.map((id) => this.store.revoke(id, ttl, reason)));
    this.countRevoked(reason, ids.length);
    this.deps.logger.info("sessions_revoked_of_user", {
      tenant_id: tenant.id,
      user_id: userId,
      count: ids.length,
      reason,
    });
    return ids.length;
  }

  /**
   * Revokes every session of an OAuth client (only `userId`'s when given): the
   * client was deleted, or the user withdrew their consent. Resolves how many were live.
   */
  async revokeAllOfClient(
    tenant: Tenant,
    clientId: string,
    reason: "client_deleted" | "consent_revoked",
    userId?: string,
  ): Promise<number> {
    const ids = await this.deps.db.sessions.revokeAllOfClient(
      tenant.id,
      clientId,
      new Date(this.now()),
      reason,
      userId,
    );
    const ttl = this.revokedTtlMs(tenant);
    await Promise.all(ids.map((id) => this.store.revoke(id, ttl, reason)));
    this.countRevoked(reason, ids.length);
    this.deps.logger.info("sessions_revoked_of_client", {
      tenant_id: tenant.id,
      client_id: clientId,
      ...(userId ? { user_id: userId } : {}),
      count: ids.length,
      reason,
    });
    return ids.length;
  }

  find(tenant: Tenant, sessionId: string): Promise<SessionRecord | null> {
    return this.deps.db.sessions.findById(tenant.id, sessionId);
  }

  listLive(tenant: Tenant, userId: string): Promise<SessionRecord[]> {
    return this.deps.db.sessions.listLive(tenant.id, userId, new Date(this.now()));
  }
}
