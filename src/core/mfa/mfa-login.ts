import type { AccountService } from "../accounts/accounts.js";
import { AppError, errors } from "../errors.js";
import type { Tenant, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { LoginMethod } from "../sessions/session-types.js";
import { scopeOf } from "../sessions/user-claims.js";
import { mfaSettingsOf } from "../tenant-settings.js";
import { CHALLENGE_TTL_SECONDS, type MfaChallenge, type MfaChallenges } from "./challenges.js";
import type { FactorKind } from "./factors.js";
import type { MfaService, TotpEnrollment } from "./mfa.js";
import type { PasskeyService } from "./passkeys.js";
import { bindsUser } from "./policy.js";

/** What a login's first step (a password, a federated login) leads to. */
export type FirstStepOutcome =
  | { kind: "session" }
  | { kind: "challenge"; mfaToken: string; factors: FactorKind[]; expiresIn: number }
  /** The tenant's policy wants a factor the user has not got: no session until the token enrolls one. */
  | { kind: "enrollment"; mfaToken: string; expiresIn: number };

/** A finished second step: who, how, and the first recovery codes (shown once) when it enrolled the first factor. */
export interface SecondStep {
  user: UserRecord;
  method: LoginMethod;
  recoveryCodes: string[] | null;
}

type RegistrationResponse = Parameters<PasskeyService["finishRegistration"]>[2];
type AssertionResponse = Parameters<PasskeyService["finishAuthentication"]>[2];

export interface MfaLoginDeps {
  challenges: MfaChallenges;
  /** verifyCode and confirmTotp count wrong codes under the account's login throttle (429, 423). */
  factors: Pick<MfaService, "kinds" | "verifyCode" | "enrollTotp" | "confirmTotp" | "firstRecoveryCodes">;
  accounts: Pick<AccountService, "findUser" | "view">;
  passkeys: Pick<
    PasskeyService,
    "startAuthentication" | "finishAuthentication" | "registrationOptions" | "finishRegistration"
  >;
  logger: Logger;
}

/** RFC 8176 methods after a second factor: the first step's, the factor's, and `mfa`. */
const withFactor = (first: string[], factor: string): string[] => [...new Set([...first, factor, "mfa"])];

/** Login methods of the federated flows (`oauth:{provider}`, `saml:{connection}`, as they name them). */
const FEDERATED = /^(oauth|saml):/;

/**
 * A login's second step (issue 20): after the first step, a user with a
 * factor gets a challenge instead of a session and finishes it with the
 * factor; a user the tenant's policy binds who has none gets an enrollment
 * challenge, and enrolling a first factor with it finishes the login.
 */
export class MfaLogins {
  constructor(private readonly deps: MfaLoginDeps) {}

  async afterFirstStep(tenant: Tenant, user: UserRecord, method: LoginMethod): Promise<FirstStepOutcome> {
    const settings = mfaSettingsOf(tenant);
    // The tenant vouches for its identity providers' own MFA: neither the factor nor the policy applies.
    if (FEDERATED.test(method.authMethod) && settings.federatedLogins === "trust_upstream") return { kind: "session" };
    const kinds = await this.deps.factors.kinds(tenant, user.id);
    const first = { userId: user.id, amr: method.amr, method: method.authMethod };
    if (kinds.length === 0) {
      if (!bindsUser(settings, scopeOf(user))) return { kind: "session" };
      // No tokens without a factor (as Auth0): only enrolling one with this token ends the login.
      const mfaToken = await this.deps.challenges.issue(tenant, { ...first, enrollment: true });
      this.deps.logger.info("mfa_enrollment_challenge_issued", { tenant_id: tenant.id, user_id: user.id });
      return { kind: "enrollment", mfaToken, expiresIn: CHALLENGE_TTL_SECONDS };
    }
    const mfaToken = await this.deps.challenges.issue(tenant, first);
    this.deps.logger.info("mfa_challenge_issued", { tenant_id: tenant.id, user_id: user.id });
    // Recovery codes come with the first confirmed factor, so they are always offered.
    return { kind: "challenge", mfaToken, factors: [...kinds, "recovery_code"], expiresIn: CHALLENGE_TTL_SECONDS };
  }

  /**
   * Finishes a challenge with a TOTP or recovery code, under the account's
   * login throttle (429/423). The first right code spends the challenge; a
   * wrong one (400 `invalid_mfa_code`) costs an attempt, and after the fifth
   * the token is dead (401 `invalid_mfa_token`). An enrollment challenge
   * takes the first code of the authenticator it started (`enrollTotp`).
   */
  async verifyCode(
    tenant: Tenant,
    mfaToken: string,
    kind: "totp" | "recovery_code",
    code: string,
    network: string,
  ): Promise<SecondStep> {
    // Taken out while its code is checked: a concurrent attempt with the same token finds nothing.
    const { challenge, user } = await this.take(tenant, mfaToken);
    if (challenge.enrollment) return this.confirmEnrolledTotp(tenant, mfaToken, challenge, user, kind, code, network);
    const factor = await this.deps.factors.verifyCode(tenant, user.id, kind, code, network).catch(async (error) => {
      // Throttled (429/423) before any check: the attempt did not happen.
      await this.deps.challenges.restore(tenant, mfaToken, challenge);
      throw error;
    });
    if (!factor) {
      await this.deps.challenges.putBack(tenant, mfaToken, challenge);
      throw errors.invalidMfaCode();
    }
    this.deps.logger.info("mfa_verified", { tenant_id: tenant.id, user_id: user.id, kind });
    return { user, method: this.method(challenge, factor), recoveryCodes: null };
  }

  /** Request options for the challenge's user's passkeys; the challenge stays as it is. */
  async passkeyOptions(tenant: Tenant, mfaToken: string) {
    const { challenge, user } = await this.take(tenant, mfaToken);
    await this.refuseEnrollment(tenant, mfaToken, challenge);
    await this.deps.challenges.restore(tenant, mfaToken, challenge);
    return this.deps.passkeys.startAuthentication(tenant, user.id);
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
    response: AssertionResponse,
  ): Promise<SecondStep> {
    const { challenge, user } = await this.take(tenant, mfaToken);
    await this.refuseEnrollment(tenant, mfaToken, challenge);
    const verified = await this.deps.passkeys
      .finishAuthentication(tenant, challengeId, response, user.id)
      .catch(async (error) => {
        await this.deps.challenges.putBack(tenant, mfaToken, challenge);
        throw error;
      });
    this.deps.logger.info("mfa_verified", { tenant_id: tenant.id, user_id: user.id, kind: "passkey" });
    return { user, method: this.method(challenge, verified.amr), recoveryCodes: null };
  }

  /**
   * Starts the authenticator app an enrollment challenge will confirm with
   * its first code at `verifyCode`; a later call replaces it. The challenge
   * is not spent here.
   */
  async enrollTotp(tenant: Tenant, mfaToken: string): Promise<TotpEnrollment> {
    const { challenge, user } = await this.takeEnrollment(tenant, mfaToken);
    let totpId = challenge.totpId;
    try {
      const enrollment = await this.deps.factors.enrollTotp(tenant, user);
      totpId = enrollment.id;
      return enrollment;
    } finally {
      await this.deps.challenges.restore(tenant, mfaToken, { ...challenge, totpId });
    }
  }

  /** Creation options for a first passkey of an enrollment challenge's user; the challenge is not spent. */
  async passkeyEnrollmentOptions(tenant: Tenant, mfaToken: string) {
    const { challenge, user } = await this.takeEnrollment(tenant, mfaToken);
    try {
      const { email, name } = await this.deps.accounts.view(user);
      return await this.deps.passkeys.registrationOptions(tenant, { id: user.id, email, name });
    } finally {
      await this.deps.challenges.restore(tenant, mfaToken, challenge);
    }
  }

  /**
   * Stores the enrollment challenge's user's first passkey and finishes the
   * login with it (amr `hwk`/`swk` and `mfa`); a registration that does not
   * verify costs an attempt like a wrong code.
   */
  async enrollPasskey(
    tenant: Tenant,
    mfaToken: string,
    response: RegistrationResponse,
    name: string | null,
  ): Promise<SecondStep> {
    const { challenge, user } = await this.takeEnrollment(tenant, mfaToken);
    const passkey = await this.deps.passkeys
      .finishRegistration(tenant, user.id, response, name)
      .catch(async (error) => {
        await this.deps.challenges.putBack(tenant, mfaToken, challenge);
        throw error;
      });
    const recoveryCodes = await this.deps.factors.firstRecoveryCodes(tenant, user.id);
    this.deps.logger.info("mfa_verified", { tenant_id: tenant.id, user_id: user.id, kind: "passkey" });
    const amr = passkey.deviceType === "multiDevice" ? "swk" : "hwk";
    return { user, method: this.method(challenge, amr), recoveryCodes };
  }

  private method(challenge: MfaChallenge, factor: string): LoginMethod {
    return { authMethod: challenge.method, amr: withFactor(challenge.amr, factor) };
  }

  /** Takes the challenge out for one attempt; 401 `invalid_mfa_token` when it is gone or its user can no longer log in. */
  private async take(tenant: Tenant, mfaToken: string): Promise<{ challenge: MfaChallenge; user: UserRecord }> {
    const challenge = await this.deps.challenges.take(tenant, mfaToken);
    const user = challenge && (await this.deps.accounts.findUser(tenant, challenge.userId));
    if (!challenge || !user || user.disabledAt) throw errors.invalidMfaToken();
    return { challenge, user };
  }

  /** An enrollment challenge verifies no factor (its user has none): 409 `no_second_factor`, nothing spent. */
  private async refuseEnrollment(tenant: Tenant, mfaToken: string, challenge: MfaChallenge): Promise<void> {
    if (!challenge.enrollment) return;
    await this.deps.challenges.restore(tenant, mfaToken, challenge);
    throw errors.noSecondFactor();
  }

  /**
   * Takes a challenge for an enrollment step. Only an enrollment challenge
   * of a user who still has no factor may add one: otherwise whoever knows a
   * factor owner's password could add their own factor and pass the second step.
   */
  private async takeEnrollment(tenant: Tenant, mfaToken: string) {
    const taken = await this.take(tenant, mfaToken);
    const { challenge, user } = taken;
    if (challenge.enrollment && (await this.deps.factors.kinds(tenant, user.id)).length === 0) return taken;
    return this.refuseToEnroll(tenant, mfaToken, challenge, user);
  }

  /** The challenge goes back untouched (its owner may still verify with it); the try is audited. */
  private async refuseToEnroll(
    tenant: Tenant,
    mfaToken: string,
    challenge: MfaChallenge,
    user: UserRecord,
  ): Promise<never> {
    await this.deps.challenges.restore(tenant, mfaToken, challenge);
    this.deps.logger.warn("mfa_enrollment_refused", { tenant_id: tenant.id, user_id: user.id });
    throw errors.mfaEnrollmentNotAllowed();
  }

  /** The first code of the authenticator an enrollment challenge started: confirms it and finishes the login. */
  private async confirmEnrolledTotp(
    tenant: Tenant,
    mfaToken: string,
    challenge: MfaChallenge,
    user: UserRecord,
    kind: "totp" | "recovery_code",
    code: string,
    network: string,
  ): Promise<SecondStep> {
    const { challenges, factors } = this.deps;
    if (kind !== "totp" || !challenge.totpId) {
      await challenges.restore(tenant, mfaToken, challenge);
      throw errors.noSecondFactor();
    }
    // Another login of the user enrolled a factor meanwhile: this one may not add a second.
    if ((await factors.kinds(tenant, user.id)).length > 0)
      return this.refuseToEnroll(tenant, mfaToken, challenge, user);
    const confirmed = await factors
      .confirmTotp(tenant, user.id, challenge.totpId, code, network)
      .catch(async (error) => {
        const wrong = error instanceof AppError && error.code === "invalid_mfa_code";
        // Another enrollment of the user started a new authenticator, abandoning this one.
        const replaced = error instanceof AppError && error.code === "not_found";
        if (wrong) await challenges.putBack(tenant, mfaToken, challenge);
        // Throttled before any check (429/423), or nothing to check: no attempt was made.
        else await challenges.restore(tenant, mfaToken, replaced ? { ...challenge, totpId: undefined } : challenge);
        throw replaced ? errors.noSecondFactor() : error;
      });
    this.deps.logger.info("mfa_verified", { tenant_id: tenant.id, user_id: user.id, kind: "totp" });
    return { user, method: this.method(challenge, "otp"), recoveryCodes: confirmed.recoveryCodes };
  }
}
