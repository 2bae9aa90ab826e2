import {
  type AuthenticationResponseJSON,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { toBase64Url, utf8 } from "../crypto/encoding.js";
import { errors } from "../errors.js";
import type { PasskeyRecord, PasskeyTransport, Tenant, UserRecord } from "../ports/database.js";
import { scopeOf } from "../sessions/user-claims.js";
import { type AssertionDeps, PasskeyAssertions, type VerifiedPasskey } from "./passkey-assertions.js";
import { fallsShortOfMfaPolicy } from "./policy.js";
import { type RelyingParty, relyingPartyOf } from "./relying-party.js";
import { challengeOf, messageOf, PASSKEY_CHALLENGE_TTL_MS } from "./webauthn-data.js";

/** Live passkeys a user may hold: each is a row and a credential listed in every registration's options. */
export const MAX_PASSKEYS_PER_USER = 50;

export interface PasskeyDeps extends AssertionDeps {
  /** PUBLIC_URL: the RP ID and the one expected origin come from it. */
  publicUrl: string;
}

const registrationKey = (tenantId: string, challenge: string) => `mfa:pk:${tenantId}:reg:${challenge}`;

const passkeyLimit = () =>
  errors.limitReached(`An account holds at most ${MAX_PASSKEYS_PER_USER} passkeys; remove one first.`);

/** Passkeys (WebAuthn credentials) of users: registration, management and assertions. */
export class PasskeyService {
  private readonly assertions: PasskeyAssertions;

  constructor(private readonly deps: PasskeyDeps) {
    this.assertions = new PasskeyAssertions(deps, (tenant) => this.relyingParty(tenant));
  }

  private relyingParty(tenant: Tenant): RelyingParty {
    const { rp, ignoredSetting } = relyingPartyOf(tenant, this.deps.publicUrl);
    if (ignoredSetting !== null) {
      this.deps.logger.warn("passkey_rp_id_ignored", { tenant_id: tenant.id, rp_id: ignoredSetting.slice(0, 253) });
    }
    return rp;
  }

  /** Creation options for a logged-in user; the challenge is remembered for this user only. */
  async registrationOptions(
    tenant: Tenant,
    user: { id: string; email: string; name: string | null },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const rp = this.relyingParty(tenant);
    const existing = await this.deps.db.passkeys.listOfUser(tenant.id, user.id);
    // Refused before the ceremony, so the authenticator makes no credential the service would then refuse.
    if (existing.length >= MAX_PASSKEYS_PER_USER) throw passkeyLimit();
    const options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      userID: utf8.encode(user.id),
      challenge: this.deps.random.bytes(32),
      timeout: PASSKEY_CHALLENGE_TTL_MS,
      attestationType: "none",
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
      authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    });
    await this.deps.kv.set(registrationKey(tenant.id, options.challenge), user.id, {
      ttlMs: PASSKEY_CHALLENGE_TTL_MS,
    });
    return options;
  }

  /** Verifies an attestation against the user's pending challenge (spent either way) and stores the credential. */
  async finishRegistration(
    tenant: Tenant,
    userId: string,
    response: RegistrationResponseJSON,
    name: string | null,
  ): Promise<PasskeyRecord> {
    const challenge = challengeOf(response.response?.clientDataJSON);
    const owner = challenge === null ? null : await this.deps.kv.take(registrationKey(tenant.id, challenge));
    if (challenge === null || owner !== userId) {
      throw errors.invalidPasskey("The registration's challenge is unknown, already used, expired or not yours.");
    }
    const rp = this.relyingParty(tenant);
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: false,
      });
    } catch (error) {
      // The library's words stay in the log: they describe its internals, not the caller's mistake.
      this.deps.logger.info("passkey_registration_failed", {
        tenant_id: tenant.id,
        user_id: userId,
        detail: messageOf(error).slice(0, 200),
      });
      throw errors.invalidPasskey("The registration did not verify.");
    }
    if (!verification.verified) throw errors.invalidPasskey("The registration did not verify.");
    const info = verification.registrationInfo;
    const stored = await this.deps.db.passkeys.create(
      {
        id: this.deps.random.uuid(),
        tenantId: tenant.id,
        userId,
        credentialId: info.credential.id,
        publicKey: toBase64Url(info.credential.publicKey),
        counter: info.credential.counter,
        transports: (response.response.transports ?? []) as PasskeyTransport[],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name,
        now: this.deps.clock.now(),
      },
      MAX_PASSKEYS_PER_USER,
    );
    if (stored === "full") throw passkeyLimit();
    if (stored === "duplicate") throw errors.invalidPasskey("This credential is already registered.");
    this.deps.logger.info("passkey_registered", { tenant_id: tenant.id, user_id: userId, passkey_id: stored.id });
    return stored;
  }

  list(tenant: Tenant, userId: string): Promise<PasskeyRecord[]> {
    return this.deps.db.passkeys.listOfUser(tenant.id, userId);
  }

  async rename(tenant: Tenant, userId: string, id: string, name: string | null): Promise<PasskeyRecord> {
    const renamed = await this.deps.db.passkeys.rename(tenant.id, userId, id, name, this.deps.clock.now());
    if (!renamed) throw errors.notFound("No such passkey.");
    this.deps.logger.info("passkey_renamed", { tenant_id: tenant.id, user_id: userId, passkey_id: id });
    return renamed;
  }

  async remove(tenant: Tenant, userId: string, id: string): Promise<void> {
    if (!(await this.deps.db.passkeys.remove(tenant.id, userId, id, this.deps.clock.now()))) {
      throw errors.notFound("No such passkey.");
    }
    this.deps.logger.info("passkey_removed", { tenant_id: tenant.id, user_id: userId, passkey_id: id });
  }

  /**
   * Request options and the id of their single-use challenge. With a user the
   * allowed credentials are theirs (a second factor); without, the browser
   * offers its discoverable credentials for the RP (passwordless login).
   */
  async startAuthentication(
    tenant: Tenant,
    userId: string | null,
  ): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    return this.assertions.start(tenant, userId);
  }

  /**
   * Verifies an assertion against its challenge (spent either way); refuses a
   * counter that went back. `forUser` is the ceremony's: null for a
   * passwordless login, the user for a second factor; options made for the
   * other ceremony are refused.
   */
  async finishAuthentication(
    tenant: Tenant,
    challengeId: string,
    response: AuthenticationResponseJSON,
    forUser: string | null,
  ): Promise<VerifiedPasskey> {
    return this.assertions.finish(tenant, challengeId, response, forUser);
  }

  /** Passwordless login: the assertion's user, if it may log in. */
  async login(
    tenant: Tenant,
    challengeId: string,
    response: AuthenticationResponseJSON,
  ): Promise<{ user: UserRecord; amr: string[] }> {
    const verified = await this.finishAuthentication(tenant, challengeId, response, null);
    const user = await this.deps.db.users.findById(tenant.id, verified.userId);
    if (!user) throw errors.passkeyRefused("The passkey could not be verified.");
    if (user.disabledAt) {
      this.deps.logger.info("login_refused_disabled", { tenant_id: tenant.id, user_id: user.id });
      throw errors.accountDisabled();
    }
    // RFC 8176 "mfa": a user-verifying authenticator is possession plus PIN or biometrics.
    const amr = verified.userVerified ? [verified.amr, "mfa"] : [verified.amr];
    if (fallsShortOfMfaPolicy(tenant, amr, scopeOf(user))) {
      this.deps.logger.info("login_refused_mfa_policy", { tenant_id: tenant.id, user_id: user.id, method: "passkey" });
      throw errors.secondFactorRequired(
        "This tenant requires a second factor: use a passkey that verifies you (PIN or biometrics), or your password and second factor.",
      );
    }
    this.deps.logger.info("login_succeeded", { tenant_id: tenant.id, user_id: user.id, method: "passkey" });
    return { user, amr };
  }
}
