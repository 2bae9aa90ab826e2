/**
 * The WebAuthn authentication ceremony (WebAuthn §7.2) behind PasskeyService's
 * startAuthentication and finishAuthentication: request options with a
 * single-use challenge, then the checks of the assertion that answers them.
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
} from "@simplewebauthn/server";
import { fromBase64Url, toBase64Url } from "../crypto/encoding.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import type { RelyingParty } from "./relying-party.js";
import { messageOf, PASSKEY_CHALLENGE_TTL_MS, userOfHandle } from "./webauthn-data.js";

/** RFC 8176: "hwk" proof of a hardware-bound key, "swk" of a software (synced) one. */
type PasskeyAmr = "hwk" | "swk";

export interface VerifiedPasskey {
  userId: string;
  passkeyId: string;
  amr: PasskeyAmr;
  /** The authenticator verified its user (PIN, biometrics): two factors in one gesture. */
  userVerified: boolean;
}

/** PasskeyService's dependencies less PUBLIC_URL: the service gives the relying party. */
export interface AssertionDeps {
  db: Database;
  kv: KeyValueStore;
  clock: Clock;
  random: Random;
  logger: Logger;
}

interface AuthenticationChallenge {
  challenge: string;
  userId: string | null;
}

const authenticationKey = (tenantId: string, id: string) => `mfa:pk:${tenantId}:auth:${id}`;

export class PasskeyAssertions {
  constructor(
    private readonly deps: AssertionDeps,
    /** PasskeyService's (it logs a tenant's unusable RP ID setting): called only once the ceremony needs it. */
    private readonly relyingParty: (tenant: Tenant) => RelyingParty,
  ) {}

  /** Request options for the user's credentials (null: any discoverable one), and the id of their challenge. */
  async start(
    tenant: Tenant,
    userId: string | null,
  ): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const rp = this.relyingParty(tenant);
    const allowed = userId === null ? [] : await this.deps.db.passkeys.listOfUser(tenant.id, userId);
    const options = await generateAuthenticationOptions({
      rpID: rp.id,
      challenge: this.deps.random.bytes(32),
      timeout: PASSKEY_CHALLENGE_TTL_MS,
      userVerification: "preferred",
      ...(userId === null
        ? {}
        : { allowCredentials: allowed.map((p) => ({ id: p.credentialId, transports: p.transports })) }),
    });
    const challengeId = toBase64Url(this.deps.random.bytes(18));
    const pending: AuthenticationChallenge = { challenge: options.challenge, userId };
    await this.deps.kv.set(authenticationKey(tenant.id, challengeId), JSON.stringify(pending), {
      ttlMs: PASSKEY_CHALLENGE_TTL_MS,
    });
    return { challengeId, options };
  }

  /** Verifies an assertion against its challenge (spent either way) for the ceremony of `forUser`. */
  async finish(
    tenant: Tenant,
    challengeId: string,
    response: AuthenticationResponseJSON,
    forUser: string | null,
  ): Promise<VerifiedPasskey> {
    const refuse = (reason: string, fields: Record<string, unknown> = {}) => {
      this.deps.logger.info("passkey_authentication_failed", { tenant_id: tenant.id, reason, ...fields });
      return errors.passkeyRefused("The passkey could not be verified.");
    };
    const raw = await this.deps.kv.take(authenticationKey(tenant.id, challengeId));
    if (raw === null) throw refuse("unknown_challenge");
    const pending = JSON.parse(raw) as AuthenticationChallenge;
    if (pending.userId !== forUser) throw refuse("challenge_of_another_ceremony", forUser ? { user_id: forUser } : {});
    const passkey =
      typeof response.id === "string" ? await this.deps.db.passkeys.findByCredentialId(tenant.id, response.id) : null;
    if (!passkey) throw refuse("unknown_credential");
    if (pending.userId !== null && passkey.userId !== pending.userId) {
      throw refuse("credential_of_another_user", { user_id: pending.userId });
    }
    const rp = this.relyingParty(tenant);
    let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: pending.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        // The counter is checked below, so a regression is told apart and logged.
        credential: {
          id: passkey.credentialId,
          publicKey: fromBase64Url(passkey.publicKey) ?? new Uint8Array(),
          counter: 0,
          transports: passkey.transports,
        },
        requireUserVerification: false,
      });
    } catch (error) {
      throw refuse("verification_failed", { user_id: passkey.userId, detail: messageOf(error).slice(0, 200) });
    }
    if (!verification.verified) throw refuse("verification_failed", { user_id: passkey.userId });
    const info = verification.authenticationInfo;
    // WebAuthn §7.2 step 6: the user handle names the credential's owner; a passwordless login (no user
    // identified before) needs one, a second factor's is checked when the authenticator returns it.
    const handle = response.response.userHandle;
    if ((pending.userId === null || handle) && userOfHandle(handle) !== passkey.userId) {
      throw refuse("user_handle_mismatch", { user_id: passkey.userId });
    }
    // WebAuthn §7.2 step 22: a counter that did not grow signals a cloned authenticator.
    if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) {
      this.deps.logger.warn("passkey_counter_regression", {
        tenant_id: tenant.id,
        user_id: passkey.userId,
        passkey_id: passkey.id,
        stored_counter: passkey.counter,
        presented_counter: info.newCounter,
      });
      throw errors.passkeyRefused("The passkey could not be verified.");
    }
    const recorded = await this.deps.db.passkeys.recordUse(
      passkey.id,
      passkey.counter,
      info.newCounter,
      info.credentialBackedUp,
      this.deps.clock.now(),
    );
    // Another assertion moved the counter meanwhile: the same signature cannot count twice.
    if (!recorded) throw refuse("concurrent_use", { user_id: passkey.userId });
    return {
      userId: passkey.userId,
      passkeyId: passkey.id,
      amr: info.credentialDeviceType === "multiDevice" ? "swk" : "hwk",
      userVerified: info.userVerified,
    };
  }
}
