import type { AccountService } from "../accounts/accounts.js";
import { fromBase64Url, toBase64Url } from "../crypto/encoding.js";
import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, SecondFactorKind, Tenant, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { LoginAttempt, LoginThrottle, LoginTicket } from "../rate-limit/login-throttle.js";
import type { FactorSummary, SecondFactors } from "./factors.js";
import { qrSvg } from "./qr-svg.js";
import { newRecoveryCodes, recoveryCodeCandidates, storedRecoveryCodes } from "./recovery-codes.js";
import { base32Secret, matchingStep, TOTP_SECRET_BYTES, totpKeyUri } from "./totp.js";

export const totpSecretContext = (tenantId: string, id: string) => `mfa_totp.secret:${tenantId}:${id}`;

/**
 * Code attempts count per account, apart from its password logins. Without a
 * client network every attempt shares one, so the backoff (after 5 failures:
 * 1 s, 2 s … 15 min) applies to all of them; a caller that knows the
 * network passes it and gets the login policy's per-network behaviour.
 */
const ANY_NETWORK = "any";

export interface MfaDeps {
  db: Database;
  sealer: Sealer;
  clock: Clock;
  random: Random;
  logger: Logger;
  throttle: LoginThrottle;
  accounts: Pick<AccountService, "address">;
}

export interface TotpEnrollment {
  id: string;
  /** base32, for typing into an app; returned only here. */
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** TOTP authenticators (RFC 6238) and recovery codes: enrollment, checks, removal and the admin reset. */
export class MfaService implements SecondFactors {
  constructor(private readonly deps: MfaDeps) {}

  async list(tenant: Tenant, userId: string): Promise<FactorSummary[]> {
    const [totp, passkeys] = await Promise.all([
      this.deps.db.totp.findConfirmed(tenant.id, userId),
      this.deps.db.passkeys.listOfUser(tenant.id, userId),
    ]);
    const factors: FactorSummary[] = passkeys.map((p) => ({
      id: p.id,
      kind: "passkey",
      name: p.name,
      createdAt: p.createdAt,
      lastUsedAt: p.lastUsedAt,
    }));
    if (totp) {
      factors.unshift({
        id: totp.id,
        kind: "totp",
        name: null,
        createdAt: totp.createdAt,
        lastUsedAt: totp.lastUsedAt,
      });
    }
    return factors;
  }

  kinds(tenant: Tenant, userId: string): Promise<SecondFactorKind[]> {
    return this.deps.db.users.secondFactorKinds(tenant.id, userId);
  }

  async hasAny(tenant: Tenant, userId: string): Promise<boolean> {
    return (await this.kinds(tenant, userId)).length > 0;
  }

  recoveryCodesLeft(tenant: Tenant, userId: string): Promise<number> {
    return this.deps.db.recoveryCodes.countUnused(tenant.id, userId);
  }

  /** A pending authenticator with a new secret; 409 when the user has a confirmed one. */
  async enrollTotp(tenant: Tenant, user: UserRecord): Promise<TotpEnrollment> {
    const { db, random, sealer } = this.deps;
    if (await db.totp.findConfirmed(tenant.id, user.id)) throw errors.totpAlreadyEnrolled();
    const id = random.uuid();
    const secret = random.bytes(TOTP_SECRET_BYTES);
    const secretSealed = await sealer.seal(toBase64Url(secret), totpSecretContext(tenant.id, id));
    await db.totp.createPending({ id, tenantId: tenant.id, userId: user.id, secretSealed, now: this.deps.clock.now() });
    const otpauthUri = totpKeyUri(tenant.name, await this.deps.accounts.address(user), secret);
    return { id, secret: base32Secret(secret), otpauthUri, qrSvg: qrSvg(otpauthUri) };
  }

  /**
   * Confirms a pending authenticator with a current code. The user's first
   * factor also brings the first recovery codes (returned once); null otherwise.
   */
  async confirmTotp(
    tenant: Tenant,
    userId: string,
    id: string,
    code: string,
    network: string,
  ): Promise<{ recoveryCodes: string[] | null }> {
    const { db, clock } = this.deps;
    const totp = await db.totp.find(tenant.id, userId, id);
    if (!totp) throw errors.notFound("No such authenticator.");
    if (totp.confirmedAt) throw errors.totpAlreadyEnrolled();
    const ticket = await this.deps.throttle.admit(this.attempt(tenant, userId, network));
    const now = clock.now();
    // A confirmation that lost a race to another is refunded like an error: its code was right.
    const confirmed = await this.deps.throttle.checking(ticket, async () => {
      const step = matchingStep(await this.secretOf(totp), code.trim(), now);
      if (step === null) return false;
      if (!(await db.totp.confirm(tenant.id, userId, id, step, now))) throw errors.totpAlreadyEnrolled();
      return true;
    });
    if (!confirmed) {
      this.failed(ticket, userId, "totp");
      throw errors.invalidMfaCode();
    }
    await this.deps.throttle.succeeded(ticket);
    this.deps.logger.info("mfa_totp_enrolled", { tenant_id: tenant.id, user_id: userId, factor_id: id });
    return { recoveryCodes: await this.firstRecoveryCodes(tenant, userId) };
  }

  /** After a new factor: the first recovery codes (shown once) when the user has none left; null otherwise. */
  async firstRecoveryCodes(tenant: Tenant, userId: string): Promise<string[] | null> {
    const left = await this.deps.db.recoveryCodes.countUnused(tenant.id, userId);
    return left === 0 ? this.regenerate(tenant, userId) : null;
  }

  /** Removes one of the user's factors; 404 when it has none with this id. */
  async removeFactor(tenant: Tenant, userId: string, id: string): Promise<void> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const kind = (await db.totp.remove(tenant.id, userId, id, now))
      ? "totp"
      : (await db.passkeys.remove(tenant.id, userId, id, now))
        ? "passkey"
        : null;
    if (!kind) throw errors.notFound("No such factor.");
    await this.afterRemoval(tenant, userId);
    this.deps.logger.info("mfa_factor_removed", { tenant_id: tenant.id, user_id: userId, factor_id: id, kind });
  }

  /** Recovery codes stand in for a factor: with the last one gone they go too, and the next factor brings new ones. */
  async afterRemoval(tenant: Tenant, userId: string): Promise<void> {
    if (!(await this.hasAny(tenant, userId))) await this.deps.db.recoveryCodes.removeAll(tenant.id, userId);
  }

  /** A new set of recovery codes replacing every earlier one; only for a user with a factor (409 otherwise). */
  async regenerateRecoveryCodes(tenant: Tenant, userId: string): Promise<string[]> {
    if (!(await this.hasAny(tenant, userId))) throw errors.noSecondFactor();
    return this.regenerate(tenant, userId);
  }

  async verifyCode(
    tenant: Tenant,
    userId: string,
    kind: "totp" | "recovery_code",
    code: string,
    network: string = ANY_NETWORK,
  ): Promise<"otp" | null> {
    const ticket = await this.deps.throttle.admit(this.attempt(tenant, userId, network));
    const ok = await this.deps.throttle.checking(ticket, () =>
      kind === "totp" ? this.useTotp(tenant, userId, code) : this.useRecoveryCode(tenant, userId, code),
    );
    if (!ok) {
      this.failed(ticket, userId, kind);
      return null;
    }
    await this.deps.throttle.succeeded(ticket);
    this.deps.logger.info("mfa_code_accepted", { tenant_id: tenant.id, user_id: userId, kind });
    return "otp";
  }

  async resetAll(tenant: Tenant, userId: string, by: "admin" | "password_reset"): Promise<void> {
    const { db } = this.deps;
    const now = this.deps.clock.now();
    const removed =
      (await db.totp.removeAll(tenant.id, userId, now)) + (await db.passkeys.removeAllOfUser(tenant.id, userId, now));
    const codes = await db.recoveryCodes.removeAll(tenant.id, userId);
    // The owner proves themselves anew by enrolling: earlier failures do not hold them back.
    await this.deps.throttle.clear({ tenantId: tenant.id, account: throttleAccount(userId) });
    // An admin's reset is always on the trail; a password reset's only when it removed something.
    if (by === "password_reset" && removed + codes === 0) return;
    this.deps.logger.info(`mfa_reset_by_${by}`, {
      tenant_id: tenant.id,
      user_id: userId,
      factors: removed,
      recovery_codes: codes,
    });
  }

  private async useTotp(tenant: Tenant, userId: string, code: string): Promise<boolean> {
    const totp = await this.deps.db.totp.findConfirmed(tenant.id, userId);
    if (!totp) return false;
    const now = this.deps.clock.now();
    const step = matchingStep(await this.secretOf(totp), code.trim(), now);
    // A step at or before the last accepted one is a replay (RFC 6238 §5.2: accept a code once).
    return step !== null && (await this.deps.db.totp.useStep(tenant.id, userId, totp.id, step, now));
  }

  private async useRecoveryCode(tenant: Tenant, userId: string, input: string): Promise<boolean> {
    const candidates = await recoveryCodeCandidates(tenant.id, userId, input);
    if (!candidates) return false;
    const spent = await this.deps.db.recoveryCodes.consume(tenant.id, userId, candidates, this.deps.clock.now());
    if (spent) this.deps.logger.info("mfa_recovery_code_used", { tenant_id: tenant.id, user_id: userId });
    return spent;
  }

  private async regenerate(tenant: Tenant, userId: string): Promise<string[]> {
    const codes = newRecoveryCodes(this.deps.random);
    const hashes = await storedRecoveryCodes(tenant.id, userId, codes);
    await this.deps.db.recoveryCodes.replaceAll(tenant.id, userId, hashes, this.deps.clock.now());
    this.deps.logger.info("mfa_recovery_codes_generated", { tenant_id: tenant.id, user_id: userId });
    return codes;
  }

  private async secretOf(totp: { id: string; tenantId: string; secretSealed: string }): Promise<Uint8Array> {
    const secret = fromBase64Url(
      await this.deps.sealer.open(totp.secretSealed, totpSecretContext(totp.tenantId, totp.id)),
    );
    if (!secret) throw new Error("A sealed TOTP secret did not open to base64url.");
    return secret;
  }

  private attempt(tenant: Tenant, userId: string, network: string): LoginAttempt {
    return { tenantId: tenant.id, account: throttleAccount(userId), network };
  }

  private failed(ticket: LoginTicket, userId: string, kind: string): void {
    this.deps.throttle.failed(ticket, userId);
    this.deps.logger.info("mfa_code_failed", { tenant_id: ticket.tenantId, user_id: userId, kind });
  }
}

const throttleAccount = (userId: string) => `mfa:${userId}`;
