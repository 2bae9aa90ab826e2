import type { ApiKeyService } from "../api-keys/api-keys.js";
import { errors } from "../errors.js";
import type { SecondFactors } from "../mfa/factors.js";
import type { Clock } from "../ports/clock.js";
import type { Database, Tenant, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { Background, SessionService } from "../sessions/sessions.js";
import type { AccountMail } from "./account-mail.js";
import { type AccountTokens, TOKEN_LIFETIME_MS } from "./account-tokens.js";
import type { AccountService } from "./accounts.js";
import { isPlausibleEmail } from "./email.js";

/** Runs `work` once the current turn of the event loop (which sends the answer) is over, so none of it runs before. */
const afterThisTurn = (work: () => Promise<void>) => new Promise((resolve) => setTimeout(resolve, 0)).then(work);

export interface PasswordFlowDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  accounts: AccountService;
  tokens: AccountTokens;
  mail: AccountMail;
  sessions: SessionService;
  apiKeys: ApiKeyService;
  factors: SecondFactors;
}

/** Forgotten passwords (by mail) and changes of a signed-in user's password. */
export class PasswordFlows {
  constructor(private readonly deps: PasswordFlowDeps) {}

  /**
   * `POST /v1/password/forgot`: 202 whatever the address, once it has the
   * shape of one (400 otherwise: no account can have it). The foreground
   * does the same work for every address (normalise, count the address's
   * mails); looking it up, minting the token and sending happen after the
   * response, so neither the body nor the time tells whether it has an
   * account. An address today's rule refuses is looked up as at login: an
   * account made before that rule can still recover its password.
   */
  async forgot(tenant: Tenant, address: string, background: Background): Promise<void> {
    const { mail, accounts } = this.deps;
    mail.requireDelivery();
    if (!isPlausibleEmail(address)) throw errors.validation([{ path: "email", message: "must be an email address" }]);
    await mail.admit(tenant, "password_reset", await accounts.countingIndex(address));
    background(
      afterThisTurn(async () => {
        const user = await accounts.findByTyped(tenant, address);
        // Disabled accounts get nothing: a reset could not sign them in.
        if (!user || user.disabledAt) return;
        const token = await this.deps.tokens.issue({
          tenantId: tenant.id,
          userId: user.id,
          purpose: "password_reset",
          emailIndex: user.emailIndex,
        });
        this.deps.logger.info("password_reset_requested", { tenant_id: tenant.id, user_id: user.id });
        const view = await accounts.view(user);
        await mail.send(tenant, view.email, {
          kind: "password_reset",
          link: mail.link(tenant, "password/reset", token),
          expiresInMinutes: Math.round(TOKEN_LIFETIME_MS.password_reset / 60_000),
        });
      }),
    );
  }

  /**
   * `POST /v1/password/reset`: the new password (policy checked before the
   * token is spent, so a refused password leaves the link usable), then every
   * session ends at once and the account's login throttle is cleared. The
   * mailbox proved the address: an unverified one becomes verified; federated
   * identities whose provider never verified it are unlinked; and API keys
   * made while the address was unproven, or under such an identity, and
   * second factors enrolled while it was unproven (possibly by someone who
   * claimed the address first), are removed.
   */
  async reset(tenant: Tenant, token: string, password: string, background: Background): Promise<void> {
    const { db, tokens, accounts, sessions, clock } = this.deps;
    const user = await this.resetAccount(tenant, token);
    const hash = await accounts.newPasswordHash(user, password, "password");
    // Sessions and logins in progress end before the link is spent: should a store fail, the
    // link still works for a retry. Again after the new password is in, for a login that ran meanwhile.
    await sessions.revokeAllOfUser(tenant, user.id, "password_changed");
    // Spent only now, and exactly once however many resets race with it.
    if (!(await tokens.consume(tenant.id, token, ["password_reset"]))) throw errors.invalidAccountToken();
    await db.users.replacePasswordHash(tenant.id, user.id, hash, clock.now());
    await tokens.spendPending(tenant.id, user.id);
    await sessions.revokeAllOfUser(tenant, user.id, "password_changed");
    const unlinked = await db.identities.unlinkUnverified(tenant.id, user.id, clock.now());
    if (!user.emailVerified) await db.users.update(tenant.id, user.id, { emailVerified: true }, clock.now());
    if (!user.emailVerified || unlinked > 0) await this.deps.apiKeys.revokeAllOfUser(tenant, user.id);
    if (!user.emailVerified) await this.deps.factors.resetAll(tenant, user.id, "password_reset");
    await accounts.clearLoginThrottle(tenant, user);
    this.deps.logger.info("password_reset", { tenant_id: tenant.id, user_id: user.id, unlinked_identities: unlinked });
    this.notify(tenant, user, background);
  }

  /**
   * The account a reset link would act on, without spending it (the hosted
   * page checks the link when it is opened): `invalid_token` when the link
   * is unknown, spent, expired or its account moved to another address.
   */
  async resetAccount(tenant: Tenant, token: string): Promise<UserRecord> {
    const found = await this.deps.tokens.find(tenant.id, token, ["password_reset"]);
    const user = found ? await this.deps.db.users.findById(tenant.id, found.userId) : null;
    // Bound to the address it was mailed to: the account may have moved since.
    if (!found || !user || user.emailIndex !== found.emailIndex) throw errors.invalidAccountToken();
    if (user.disabledAt) throw errors.accountDisabled();
    return user;
  }

  /** `POST /v1/password/change`: after the current password, the new one; the user's other sessions end. */
  async change(
    tenant: Tenant,
    user: UserRecord,
    input: { currentPassword: string; newPassword: string; sessionId: string },
    network: string,
    background: Background,
  ): Promise<void> {
    const { accounts, tokens, sessions, db, clock } = this.deps;
    await accounts.confirmPassword(tenant, user, input.currentPassword, network);
    const hash = await accounts.newPasswordHash(user, input.newPassword, "new_password");
    // The other sessions end before the password changes: should a store fail, the old password
    // still works, so the user retries. Again after, for a login that ran meanwhile.
    await sessions.revokeAllOfUser(tenant, user.id, "password_changed", input.sessionId);
    await db.users.replacePasswordHash(tenant.id, user.id, hash, clock.now());
    await tokens.spendPending(tenant.id, user.id);
    await sessions.revokeAllOfUser(tenant, user.id, "password_changed", input.sessionId);
    this.deps.logger.info("password_changed", { tenant_id: tenant.id, user_id: user.id });
    this.notify(tenant, user, background);
  }

  /** The owner hears of every password change, so one they did not make does not go unnoticed. */
  private notify(tenant: Tenant, user: UserRecord, background: Background): void {
    background(
      (async () => {
        const view = await this.deps.accounts.view(user);
        await this.deps.mail.send(tenant, view.email, { kind: "password_changed" });
      })(),
    );
  }
}
