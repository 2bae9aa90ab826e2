import { AppError, errors, StoreUnavailableError } from "../errors.js";
import { errorFields } from "../logging/error-fields.js";
import { fallsShortOfMfaPolicy } from "../mfa/policy.js";
import { OAuthError } from "../oidc/oauth-error.js";
import type { Tenant } from "../ports/database.js";
import { settingsOf } from "../tenant-settings.js";
import type { RefreshToken } from "./refresh-token.js";
import { restoreRevokedTokenMarks } from "./revoked-token-marks.js";
import type { LedgerAnswer } from "./rotation-ledger.js";
import { FIRST_PARTY_CLIENT, liveLedgerState } from "./session-ledger.js";
import { holdEnded, REVOKED_TTL_MS } from "./session-revocation.js";
import type { SessionClaims, SessionState } from "./session-state.js";
import type { SessionStore } from "./session-store.js";
import type { ClientRefresh, IssuedTokens, RevocationReason, SessionDeps, TokenResponse } from "./session-types.js";
import { claimsOfCurrentUser, claimsWithinClient, narrowScope, scopeList } from "./user-claims.js";

/** The session as the ledger knows it, when it is live and belongs to the tenant. */
async function ledgerState(deps: SessionDeps, tenant: Tenant, sessionId: string): Promise<SessionState | null> {
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
    notAfter: session.idleExpiresAt,
  });
  const response: TokenResponse = {
    access_token: token,
    token_type: "Bearer",
    expires_in: issued.exp - issued.iat,
    refresh_token: refreshToken,
    // Rounded up: a session of 300 s answers 300, not 299, a few ms after it began.
    refresh_expires_in: Math.max(0, Math.ceil((session.idleExpiresAt - deps.clock.now().getTime()) / 1000)),
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
   * `arrivedAt`: when the request reached the service (clock ms), if known.
   */
  async spend(
    tenant: Tenant,
    presented: unknown,
    binding: ClientRefresh | null,
    arrivedAt?: number,
  ): Promise<IssuedTokens> {
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
    this.refuseIfLate(arrivedAt);
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
        const recorded = this.recordRotation(tenant, token.sessionId, outcome, successor.hash);
        const issued = await this.answerOrRearm(token, async () => {
          const current = await this.claimsNow(tenant, token.sessionId, outcome.generation, outcome.claims);
          const claims = binding ? claimsWithinClient(current, binding.clientScopes) : current;
          await this.holdToMfaPolicy(tenant, token.sessionId, claims);
          const session = { id: token.sessionId, claims, idleExpiresAt: outcome.idleExpiresAt };
          return this.answer(tenant, session, successor.text, binding);
        });
        if ((await recorded) === "ended") {
          // Revoked in the ledger while Redis missed it (a failed write): the ledger is the record.
          await this.store.revoke(token.sessionId, REVOKED_TTL_MS, "revoked");
          throw this.refused();
        }
        this.deps.metrics.increment("refreshes_total", { outcome: "rotated" });
        return issued;
      }
      case "grace": {
        const again = await this.deps.refreshTokens.openSuccessor(token.text, outcome.sealedSuccessor);
        if (!again) throw this.refused();
        const issued = await this.answerOrRearm(token, async () => {
          const current = await this.claimsNow(tenant, token.sessionId, outcome.generation, outcome.claims);
          const claims = binding ? claimsWithinClient(current, binding.clientScopes) : current;
          await this.holdToMfaPolicy(tenant, token.sessionId, claims);
          const session = { id: token.sessionId, claims, idleExpiresAt: outcome.idleExpiresAt };
          return this.answer(tenant, session, again, binding);
        });
        this.deps.metrics.increment("refreshes_total", { outcome: "grace" });
        return issued;
      }
      case "reuse": {
        const reason = "refresh_token_reuse";
        // The script already ended it in Redis; should the ledger not hear of it, Redis keeps it ended.
        const live = await this.deps.db.sessions
          .revoke(tenant.id, token.sessionId, new Date(this.now()), reason)
          .catch(async (error: unknown) => {
            await holdEnded(this.store, tenant, [token.sessionId], reason);
            throw error;
          });
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

  /**
   * The answer to a rotation that stands. Should a store fail before it
   * leaves (the user's row unreadable, say), the spent token's grace window
   * starts again, so the client's retry, told to wait (503 Retry-After), still
   * gets the successor rather than setting off reuse detection. A refusal
   * (the user ended, a second factor required) is an answer, not a failure.
   */
  private async answerOrRearm<T>(token: RefreshToken, answer: () => Promise<T>): Promise<T> {
    try {
      return await answer();
    } catch (error) {
      if (error instanceof AppError && !(error instanceof StoreUnavailableError)) throw error;
      await this.store.rearmGrace(token.sessionId, token.hash, this.now(), this.deps.graceMs).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The ledger's answer for a rotation, waited for at most half the grace
   * period: a client whose answer is held up longer retries too late for the
   * grace window and would set off reuse detection. Postgres down or slow:
   * Redis holds the rotation, so the refresh still answers (as reads do); the
   * ledger catches up at the session's next rotation, and the gap is on record.
   */
  private async recordRotation(
    tenant: Tenant,
    sessionId: string,
    outcome: { generation: number; idleExpiresAt: number },
    refreshHash: string,
  ): Promise<LedgerAnswer | undefined> {
    const at = new Date(this.now());
    const rotation = { tenantId: tenant.id, id: sessionId, generation: outcome.generation, refreshHash, at };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), this.deps.graceMs / 2);
    });
    try {
      const answer = await Promise.race([
        this.deps.ledger.record({ ...rotation, expiresAt: new Date(outcome.idleExpiresAt) }),
        late,
      ]);
      if (answer !== "late") return answer;
      this.deps.logger.error("ledger_write_failed", {
        tenant_id: tenant.id,
        session_id: sessionId,
        generation: outcome.generation,
        error: `no answer within ${this.deps.graceMs / 2} ms`,
      });
    } catch (error) {
      this.deps.logger.error("ledger_write_failed", {
        tenant_id: tenant.id,
        session_id: sessionId,
        generation: outcome.generation,
        ...errorFields(error),
      });
    } finally {
      clearTimeout(timer);
    }
    return undefined;
  }

  /** The pair a refresh answers with: a client's own token lifetime, and the narrower scope it asked for. */
  private answer(
    tenant: Tenant,
    session: { id: string; claims: SessionClaims; idleExpiresAt: number },
    refreshToken: string,
    binding: ClientRefresh | null,
  ): Promise<IssuedTokens> {
    // Ending within the current second: its access token would expire as issued (exp = iat, RFC 7519 §4.1.4).
    if (Math.floor(session.idleExpiresAt / 1000) <= Math.floor(this.now() / 1000)) {
      throw this.refused("The session has ended.");
    }
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
   * judged by the scope it was granted, as far as its client may still have it.
   */
  private async holdToMfaPolicy(tenant: Tenant, sessionId: string, claims: SessionClaims): Promise<void> {
    if (!fallsShortOfMfaPolicy(tenant, claims.amr, claims.scope)) return;
    await this.revoke(tenant, sessionId, "mfa_required");
    throw this.refused("The tenant requires a second factor now: log in again.");
  }

  /**
   * A refresh that waited in an overloaded service past half the grace period
   * is refused unspent (503, Retry-After): its client may have given up and
   * retried already, and spending it after the retry's rotation, a grace
   * period later, would read as reuse and revoke the session.
   */
  private refuseIfLate(arrivedAt: number | undefined): void {
    if (arrivedAt === undefined || this.now() - arrivedAt <= this.deps.graceMs / 2) return;
    this.deps.metrics.increment("refreshes_total", { outcome: "late" });
    throw errors.unavailable("The service is overloaded: the refresh token was not spent; try again.");
  }

  /** A refresh token that is malformed, forged, unknown, expired, spent past use or revoked: counted, then 401. */
  private refused(detail?: string) {
    this.deps.metrics.increment("refreshes_total", { outcome: "invalid" });
    return errors.invalidGrant(detail);
  }
}
