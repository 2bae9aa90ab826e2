import { AppError, errors } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { AccountTokenRecord, Database, Tenant, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { Background } from "../sessions/sessions.js";
import type { AccountMail } from "./account-mail.js";
import { type AccountTokens, TOKEN_LIFETIME_MS } from "./account-tokens.js";
import type { AccountService } from "./accounts.js";
import type { UserVersions } from "./user-versions.js";

export interface EmailFlowDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  accounts: AccountService;
  tokens: AccountTokens;
  mail: AccountMail;
  userVersions: UserVersions;
}

const minutes = (ms: number) => Math.round(ms / 60_000);

/** The tokens a mailed `email/verify` link may carry. */
const LINK_PURPOSES = ["verify_email", "change_email"] as const;

/** Proving an address: verification at signup and on request, and moving an account to a new address. */
export class EmailFlows {
  constructor(private readonly deps: EmailFlowDeps) {}

  /**
   * The verification mail at signup: never fails the signup (no mailer, or
   * the address's mail limit reached, and the user can ask again later).
   */
  async afterSignup(tenant: Tenant, user: UserRecord, background: Background): Promise<void> {
    try {
      await this.requestVerification(tenant, user, background);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      this.deps.logger.warn("verification_mail_skipped", {
        tenant_id: tenant.id,
        user_id: user.id,
        reason: error.code,
      });
    }
  }

  /** `POST /v1/email/verification`: a new link to the user's address; nothing when it is verified already. */
  async requestVerification(tenant: Tenant, user: UserRecord, background: Background): Promise<void> {
    const { mail, tokens } = this.deps;
    mail.requireDelivery();
    if (user.emailVerified) return;
    await mail.admit(tenant, "verify_email", user.emailIndex);
    background(
      (async () => {
        const token = await tokens.issue({
          tenantId: tenant.id,
          userId: user.id,
          purpose: "verify_email",
          emailIndex: user.emailIndex,
        });
        await mail.send(tenant, await this.recipient(user), {
          kind: "verify_email",
          link: mail.link(tenant, "email/verify", token),
          expiresInMinutes: minutes(TOKEN_LIFETIME_MS.verify_email),
        });
      })(),
    );
  }

  /**
   * `POST /v1/email/verify`: a verification token marks the address it was
   * sent to verified (while it is still the account's address); an email
   * change token moves the account to its new address, unless another
   * account took it meanwhile (409).
   */
  async verify(tenant: Tenant, token: string): Promise<UserRecord> {
    const { db, tokens, clock, logger, userVersions } = this.deps;
    const { record, user } = await this.tokenOwner(tenant, await tokens.consume(tenant.id, token, LINK_PURPOSES));

    if (record.purpose === "verify_email") {
      if (user.emailVerified) return user;
      const verified = await db.users.update(tenant.id, user.id, { emailVerified: true }, clock.now());
      if (!verified) throw errors.invalidAccountToken();
      await userVersions.raise(tenant.id, user.id, verified);
      logger.info("email_verified", { tenant_id: tenant.id, user_id: user.id });
      return verified;
    }

    const sealed = record.emailSealed;
    if (!sealed) throw errors.invalidAccountToken();
    const address = await this.deps.accounts.address({ ...user, emailSealed: sealed });
    // Checked again now: an account may have been made with the address since the request.
    const holder = await this.deps.accounts.findByAddress(tenant, address);
    if (holder && holder.id !== user.id) throw errors.emailTaken();
    const moved = await db.users.replaceEmail(
      tenant.id,
      user.id,
      { emailIndex: record.emailIndex, emailSealed: sealed },
      clock.now(),
    );
    if (moved === "taken") throw errors.emailTaken();
    if (!moved) throw errors.invalidAccountToken();
    if (await this.deps.accounts.twinOf(tenant, address, record.emailIndex)) {
      // Made under another key at the same moment (see twinOf): this change gives way, as a sign-up would.
      const back = { emailIndex: user.emailIndex, emailSealed: user.emailSealed };
      await db.users.replaceEmail(tenant.id, user.id, back, clock.now());
      logger.info("email_change_withdrawn", { tenant_id: tenant.id, user_id: user.id });
      throw errors.emailTaken();
    }
    // Resets and other changes were mailed to the old address: none of them may act any more.
    await tokens.spendPending(tenant.id, user.id);
    await userVersions.raise(tenant.id, user.id, moved);
    logger.info("email_changed", { tenant_id: tenant.id, user_id: user.id });
    return moved;
  }

  /**
   * Whether a verification or email change link would work, without spending
   * it (the hosted page checks the link when it is opened; mail scanners
   * open links too): `invalid_token` when it would not.
   */
  async checkLink(tenant: Tenant, token: string): Promise<void> {
    await this.tokenOwner(tenant, await this.deps.tokens.find(tenant.id, token, LINK_PURPOSES));
  }

  /** The token and the live account it belongs to, or `invalid_token`. */
  private async tokenOwner(
    tenant: Tenant,
    record: AccountTokenRecord | null,
  ): Promise<{ record: AccountTokenRecord; user: UserRecord }> {
    const user = record ? await this.deps.db.users.findById(tenant.id, record.userId) : null;
    if (!record || !user || user.disabledAt) throw errors.invalidAccountToken();
    // A verification is of the address it was sent to: the account may have moved since.
    if (record.purpose === "verify_email" && record.emailIndex !== user.emailIndex) throw errors.invalidAccountToken();
    if (record.purpose === "change_email" && !record.emailSealed) throw errors.invalidAccountToken();
    return { record, user };
  }

  /**
   * `POST /v1/email/change`: after the password, the new address gets a
   * link (or, when it has an account already, a note saying so: the answer
   * is the same) and the old address is told.
   */
  async requestChange(
    tenant: Tenant,
    user: UserRecord,
    input: { newEmail: string; password: string },
    network: string,
    background: Background,
  ): Promise<void> {
    const { accounts, mail, tokens } = this.deps;
    mail.requireDelivery();
    const next = await accounts.sealAddress(tenant, user.id, input.newEmail, "new_email");
    await accounts.confirmPassword(tenant, user, input.password, network);
    if (next.emailIndex === user.emailIndex) {
      throw errors.validation([{ path: "new_email", message: "is already the account's address" }]);
    }
    await mail.admit(tenant, "change_email", next.emailIndex);
    await mail.admit(tenant, "change_email_notice", user.emailIndex);
    this.deps.logger.info("email_change_requested", { tenant_id: tenant.id, user_id: user.id });
    background(
      (async () => {
        const current = await this.recipient(user);
        const holder = await accounts.findByAddress(tenant, next.address);
        const toNew = holder
          ? mail.send(tenant, next.address, { kind: "email_in_use" })
          : tokens
              .issue({
                tenantId: tenant.id,
                userId: user.id,
                purpose: "change_email",
                emailIndex: next.emailIndex,
                emailSealed: next.emailSealed,
              })
              .then((token) =>
                mail.send(tenant, next.address, {
                  kind: "email_change",
                  link: mail.link(tenant, "email/verify", token),
                  expiresInMinutes: minutes(TOKEN_LIFETIME_MS.change_email),
                }),
              );
        await Promise.all([toNew, mail.send(tenant, current, { kind: "email_change_notice", newEmail: next.address })]);
      })(),
    );
  }

  private async recipient(user: UserRecord): Promise<string> {
    return (await this.deps.accounts.view(user)).email;
  }
}
