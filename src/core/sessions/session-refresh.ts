import { errors } from "../errors.js";
import { errorFields } from "../logging/error-fields.js";
import { fallsShortOfMfaPolicy } from "../mfa/policy.js";
import { OAuthError } from "../oidc/oauth-error.js";
import type { Tenant } from "../ports/database.js";
import { ACCESS_TOKEN_TTL_RANGE, settingsOf } from "../tenant-settings.js";
import { CLOCK_SKEW_SECONDS } from "../tokens/access-token.js";
import type { RefreshToken } from "./refresh-token.js";
import { restoreRevokedTokenMarks } from "./revoked-token-marks.js";
import { FIRST_PARTY_CLIENT, liveLedgerState } from "./session-ledger.js";
import type { SessionClaims, SessionState } from "./session-state.js";
import type { SessionStore } from "./session-store.js";
import type { ClientRefresh, IssuedTokens, RevocationReason, SessionDeps, TokenResponse } from "./session-types.js";
import { claimsOfCurrentUser, narrowScope, scopeList } from "./user-claims.js";

/**
 * How long an access token may stay valid after its session ends: the
 * longest lifetime any token may have (an OAuth client's may exceed the tenant's).
 */
export const REVOKED_TTL_MS = (ACCESS_TOKEN_TTL_RANGE.max + CLOCK_SKEW_SECONDS) * 1000;

/** The session as the ledger knows it, when it is live and belongs to the tenant. */
export async function ledgerState(deps: SessionDeps, tenant: Tenant, sessionId: string): Promise<SessionState | null> {
  return liveLedgerState(await deps.db.sessions.findById(tenant.id, sessionId), deps.clock.now().getTime());
}

/** A session's access token, with its refresh token, as a login or refresh answers. */
export async function issueTokens(
  deps: SessionDeps,
  tenant: Tenant,
  session: { id: string; claims: SessionClaims; idleExpiresAt: number },
  refreshToken: string,
  access: { scope?: string; ttl?: number } = {},
): Promise<IssuedTokens> {
  const { claims } = session;
  const scope = access.scope ?? claims.scope;
  const { token, claims: issued } = await deps.tokens.issue(tenant, {
    userId: claims.userId,
    sessionId: session.id,
    clientId: claims.clientId,
    scope,
    authTime: new Date(claims.authTime * 1000),
    amr: claims.amr,
    ...(access.ttl === undefined ? {} : { ttl: access.ttl }),
  });
  const response: TokenResponse = {
    access_token: token,
    token_type: "Bearer",
    expires_in: issued.exp - issued.iat,
    refresh_token: refreshToken,
    refresh_expires_in: Math.max(0, Math.floor((session.idleExpiresAt - deps.clock.now().getTime()) / 1000)),
    session_id: session.id,
  };
  return { response, claims, scope };
}

/**
 * Refresh-token rotation (RFC 9700 §4.14.2), for the first-party route and
 * for the token endpoint (RFC 6749 §6), which binds it to a client.
 */
export class SessionRefresh {
  constructor(
    private readonly deps: SessionDeps,
    private readonly store: SessionStore,
    private readonly revoke: (tenant: Tenant, sessionId: string, reason: RevocationReason) => Promise<boolean>,
  ) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /**
   * Spends a refresh token for the next pair. Anything unusable is
   * `invalid_grant`; a spent token presented after the grace window revokes
   * its session. Without a binding only first-party sessions refresh.
   */
  async spend(tenant: Tenant, presented: unknown, binding: ClientRefresh | null): Promise<IssuedTokens> {
    const token = await this.deps.refreshTokens.parse(tenant.id, presented);
    if (!token) throw this.refused();
    if (binding) await this.checkBinding(tenant, token, binding);
    const client = binding?.clientId ?? FIRST_PARTY_CLIENT;
    const successor = await this.deps.refreshTokens.mint(tenant.id, token.sessionId, token.generation + 1);
    const sealedSuccessor = await this.deps.refreshTokens.sealSuccessor(token.text, successor.text);
    const rotation = (seed: SessionState | null) => ({
      generation: token.generation,
      hash: token.hash,
      successorHash: successor.hash,
      sealedSuccessor,
      graceMs: this.deps.graceMs,
      idleTtlMs: (binding?.refreshTokenTtl ?? settingsOf(tenant).sessionIdleTtl) * 1000,
      revokedTtlMs: REVOKED_TTL_MS,
      now: this.now(),
      seed,
      clientId: client,
    });
    let outcome = await this.store.rotate(token.sessionId, rotation(null));
    if (outcome.kind === "missing") {
      // Redis lost the session (restart without persistence, flush): re-seed from the ledger.
      const seed = await ledgerState(this.deps, tenant, token.sessionId);
      if (!seed) throw this.refused();
      await restoreRevokedTokenMarks(this.deps, this.store, tenant.id, token.sessionId);
      outcome = await this.store.rotate(token.sessionId, rotation(seed));
    }
    switch (outcome.kind) {
      case "rotated": {
        // Committed before the answer leaves (a crash loses no rotation a client was told about),
        // written while the claims are checked and the token signed; settles, never rejects.
        const recorded = this.deps.ledger
          .record({
            tenantId: tenant.id,
            id: token.sessionId,
            generation: outcome.generation,
            refreshHash: successor.hash,
            at: new Date(this.now()),
            expiresAt: new Date(outcome.idleExpiresAt),
          })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        const claims = await this.claimsNow(tenant, token.sessionId, outcome.generation, outcome.claims);
        await this.holdToMfaPolicy(tenant, token.sessionId, claims);
        this.deps.metrics.increment("refreshes_total", { outcome: "rotated" });
        const session = { id: token.sessionId, claims, idleExpiresAt: outcome.idleExpiresAt };
        const issued = await this.answer(tenant, session, successor.text, binding);
        const failure = await recorded;
        // Postgres down: Redis holds the rotation, so the refresh still answers (as reads do); the
        // ledger catches up at the session's next rotation, and the gap is on record here.
        if (failure !== undefined) {
          this.deps.logger.error("ledger_write_failed", {
            tenant_id: tenant.id,
            session_id: token.sessionId,
            generation: outcome.generation,
            ...errorFields(failure),
          });
        }
        return issued;
      }
      case "grace": {
        const again = await this.deps.refreshTokens.openSuccessor(token.text, outcome.sealedSuccessor);
        if (!again) throw this.refused();
        const claims = await this.claimsNow(tenant, token.sessionId, outcome.generation, outcome.claims);
        await this.holdToMfaPolicy(tenant, token.sessionId, claims);
        this.deps.metrics.increment("refreshes_total", { outcome: "grace" });
        return this.answer(
          tenant,
          { id: token.sessionId, claims, idleExpiresAt: outcome.idleExpiresAt },
          again,
          binding,
        );
      }
      case "reuse": {
        const reason = "refresh_token_reuse";
        const live = await this.deps.db.sessions.revoke(tenant.id, token.sessionId, new Date(this.now()), reason);
        this.deps.metrics.increment("refreshes_total", { outcome: "reuse" });
        this.deps.metrics.increment("refresh_reuse_detected_total");
        if (live) this.deps.metrics.increment("sessions_revoked_total", { reason });
        this.deps.logger.warn("refresh_token_reuse", {
          tenant_id: tenant.id,
          session_id: token.sessionId,
          ...(outcome.claims ? { user_id: outcome.claims.userId } : {}),
        });
        throw errors.invalidGrant("The refresh token was already used; the session is revoked.");
      }
      default:
        throw this.refused();
    }
  }

  /** The pair a refresh answers with: a client's own token lifetime, and the narrower scope it asked for. */
  private answer(
    tenant: Tenant,
    session: { id: string; claims: SessionClaims; idleExpiresAt: number },
    refreshToken: string,
    binding: ClientRefresh | null,
  ): Promise<IssuedTokens> {
    const scope = binding?.scope ? narrowScope(binding.scope.join(" "), session.claims.scope) : undefined;
    return issueTokens(this.deps, tenant, session, refreshToken, {
      ...(scope === undefined ? {} : { scope }),
      ...(binding?.accessTokenTtl === undefined ? {} : { ttl: binding.accessTokenTtl }),
    });
  }

  /**
   * Before a token is spent at the token endpoint (so a client's mistake
   * does not cost its session): its session must be the authenticated
   * client's (else `invalid_grant`), and a requested scope within the
   * granted one (RFC 6749 §6, else `invalid_scope`).
   */
  private async checkBinding(tenant: Tenant, token: RefreshToken, binding: ClientRefresh): Promise<void> {
    const held = await this.store.read(token.sessionId);
    const state = held === "revoked" ? null : (held ?? (await ledgerState(this.deps, tenant, token.sessionId)));
    if (!state) throw this.refused();
    if (state.claims.clientId !== binding.clientId) {
      throw this.refused("The refresh token was issued to another client.");
    }
    const granted = new Set(scopeList(state.claims.grant ?? state.claims.scope));
    const wider = binding.scope?.filter((s) => !granted.has(s)) ?? [];
    if (wider.length > 0) throw new OAuthError("invalid_scope", `Not granted: ${wider.join(" ")}.`);
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
      throw this.refused();
    }
    await this.store.replaceClaims(sessionId, generation, current);
    return current;
  }

  /**
   * A session that falls short of the tenant's MFA policy (made before the
   * policy or before its user was bound by it) ends at its next refresh: the
   * user logs in again, through the second step. A client's session is
   * judged by the scope it was granted, which names no user scope.
   */
  private async holdToMfaPolicy(tenant: Tenant, sessionId: string, claims: SessionClaims): Promise<void> {
    if (!fallsShortOfMfaPolicy(tenant, claims.amr, claims.scope)) return;
    await this.revoke(tenant, sessionId, "mfa_required");
    throw this.refused("The tenant requires a second factor now: log in again.");
  }

  /** A refresh token that is malformed, forged, unknown, expired, spent past use or revoked: counted, then 401. */
  private refused(detail?: string) {
    this.deps.metrics.increment("refreshes_total", { outcome: "invalid" });
    return errors.invalidGrant(detail);
  }
}
