import type { AccountService } from "../accounts/accounts.js";
import { ADMIN_SCOPE } from "../api-keys/api-keys.js";
import { errors } from "../errors.js";
import type { Tenant, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { LoginMethod } from "../sessions/session-types.js";
import { scopeOf } from "../sessions/user-claims.js";
import { mfaPolicyOf } from "../tenant-settings.js";
import { CHALLENGE_TTL_SECONDS, type MfaChallenges } from "./challenges.js";
import type { FactorKind } from "./factors.js";
import type { MfaService } from "./mfa.js";
import type { PasskeyService } from "./passkeys.js";

/** What a first step (the password) leads to. */
export type FirstStepOutcome =
  | { kind: "challenge"; mfaToken: string; factors: FactorKind[]; expiresIn: number }
  /** Log in now; `enrollmentRequired` when the tenant's policy wants a factor the user has not got. */
  | { kind: "session"; enrollmentRequired: boolean };

export interface MfaLoginDeps {
  challenges: MfaChallenges;
  /** verifyCode counts wrong codes under the account's login throttle (429, 423). */
  factors: Pick<MfaService, "list" | "verifyCode">;
  accounts: Pick<AccountService, "findUser">;
  passkeys: Pick<PasskeyService, "startAuthentication" | "finishAuthentication">;
  logger: Logger;
}

/** RFC 8176 methods after a second factor: the first step's, the factor's, and `mfa`. */
const withFactor = (first: string[], factor: string): string[] => [...new Set([...first, factor, "mfa"])];

/**
 * A login's second step (issue 20): after the password, a user with a
 * factor gets a challenge instead of a session, and finishes it with a code.
 */
export class MfaLogins {
  constructor(private readonly deps: MfaLoginDeps) {}

  /** Whether the tenant's policy wants this user to have a second factor. */
  private bound(tenant: Tenant, user: UserRecord): boolean {
    const policy = mfaPolicyOf(tenant);
    return (
      policy === "required" || (policy === "required_for_admins" && scopeOf(user).split(" ").includes(ADMIN_SCOPE))
    );
  }

  async afterFirstStep(tenant: Tenant, user: UserRecord, method: LoginMethod): Promise<FirstStepOutcome> {
    const factors = await this.deps.factors.list(tenant, user.id);
    if (factors.length === 0) {
      const enrollmentRequired = this.bound(tenant, user);
      // Not refused: a user without a factor could never enroll one. The app is told to send them to enrollment.
      if (enrollmentRequired)
        this.deps.logger.warn("mfa_enrollment_required", { tenant_id: tenant.id, user_id: user.id });
      return { kind: "session", enrollmentRequired };
    }
    const mfaToken = await this.deps.challenges.issue(tenant, {
      userId: user.id,
      amr: method.amr,
      method: method.authMethod,
    });
    this.deps.logger.info("mfa_challenge_issued", { tenant_id: tenant.id, user_id: user.id });
    // Recovery codes come with the first confirmed factor, so they are always offered.
    const kinds: FactorKind[] = [...new Set(factors.map((f) => f.kind)), "recovery_code"];
    return { kind: "challenge", mfaToken, factors: kinds, expiresIn: CHALLENGE_TTL_SECONDS };
  }

  /**
   * Finishes a challenge with a TOTP or recovery code, under the account's
   * login throttle (429/423). The first right code spends the challenge; a
   * wrong one (400 `invalid_mfa_code`) costs an attempt, and after the fifth
   * the token is dead (401 `invalid_mfa_token`).
   */
  async verifyCode(
    tenant: Tenant,
    mfaToken: string,
    kind: "totp" | "recovery_code",
    code: string,
    network: string,
  ): Promise<{ user: UserRecord; method: LoginMethod }> {
    // Taken out while its code is checked: a concurrent attempt with the same token finds nothing.
    const challenge = await this.deps.challenges.take(tenant, mfaToken);
    const user = challenge && (await this.deps.accounts.findUser(tenant, challenge.userId));
    if (!challenge || !user || user.disabledAt) throw errors.invalidMfaToken();
    const factor = await this.deps.factors.verifyCode(tenant, user.id, kind, code, network).catch(async (error) => {
      // Throttled (429/423) before any check: the attempt did not happen.
      await this.deps.challenges.restore(tenant, mfaToken, challenge);
      throw error;
    });
    if (!factor) {
      await this.deps.challenges.putBack(tenant, mfaToken, challenge);
      throw errors.invalidMfaCode();
    }
    const amr = withFactor(challenge.amr, factor);
    this.deps.logger.info("mfa_verified", { tenant_id: tenant.id, user_id: user.id, kind });
    return { user, method: { authMethod: challenge.method, amr } };
  }

  /** Request options for the challenge's user's passkeys; the challenge stays as it is. */
  async passkeyOptions(tenant: Tenant, mfaToken: string) {
    const challenge = await this.deps.challenges.take(tenant, mfaToken);
    if (!challenge) throw errors.invalidMfaToken();
    await this.deps.challenges.restore(tenant, mfaToken, challenge);
    return this.deps.passkeys.startAuthentication(tenant, challenge.userId);
  }

  /**
   * Finishes a challenge with a passkey assertion for options from
   * `passkeyOptions` (bound to the challenge's user). A refused assertion
   * costs an attempt like a wrong code.
   */
  async verifyPasskey(
    tenant: Tenant,
    mfaToken: string,
    challengeId: string,
    response: Parameters<PasskeyService["finishAuthentication"]>[2],
  ): Promise<{ user: UserRecord; method: LoginMethod }> {
    const challenge = await this.deps.challenges.take(tenant, mfaToken);
    const user = challenge && (await this.deps.accounts.findUser(tenant, challenge.userId));
    if (!challenge || !user || user.disabledAt) throw errors.invalidMfaToken();
    const verified = await this.deps.passkeys
      .finishAuthentication(tenant, challengeId, response)
      .catch(async (error) => {
        await this.deps.challenges.putBack(tenant, mfaToken, challenge);
        throw error;
      });
    // Options of a passwordless login carry no user: an assertion for them is not this challenge's.
    if (verified.userId !== user.id) {
      await this.deps.challenges.putBack(tenant, mfaToken, challenge);
      throw errors.passkeyRefused("The passkey could not be verified.");
    }
    this.deps.logger.info("mfa_verified", { tenant_id: tenant.id, user_id: user.id, kind: "passkey" });
    return { user, method: { authMethod: challenge.method, amr: withFactor(challenge.amr, verified.amr) } };
  }
}
