import { sha256Hex as hashOf } from "../crypto/digest.js";
import { toBase64Url } from "../crypto/encoding.js";
import type { Clock, Random } from "../ports/clock.js";
import type { AccountTokenPurpose, AccountTokenRecord, Database } from "../ports/database.js";

/** API.md: verification links live 24 h, password-reset links 30 min; an email change is a verification. */
export const TOKEN_LIFETIME_MS: Readonly<Record<AccountTokenPurpose, number>> = {
  verify_email: 24 * 3_600_000,
  password_reset: 30 * 60_000,
  change_email: 24 * 3_600_000,
};

/** 32 random bytes (256 bits) in base64url: 43 characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The tokens that mails carry: minted here, stored as SHA-256 only, spent once. */
export class AccountTokens {
  constructor(private readonly deps: { db: Database; clock: Clock; random: Random }) {}

  /** Mints a token for the user and purpose, bound to the address it is mailed to; resolves the token itself. */
  async issue(input: {
    tenantId: string;
    userId: string;
    purpose: AccountTokenPurpose;
    emailIndex: string;
    emailSealed?: string;
  }): Promise<string> {
    const token = toBase64Url(this.deps.random.bytes(32));
    const now = this.deps.clock.now();
    await this.deps.db.accountTokens.create({
      tokenHash: await hashOf(token),
      tenantId: input.tenantId,
      userId: input.userId,
      purpose: input.purpose,
      emailIndex: input.emailIndex,
      emailSealed: input.emailSealed ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS[input.purpose]),
    });
    return token;
  }

  /** The usable token without spending it; null for anything malformed, unknown, spent, expired or foreign. */
  async find(
    tenantId: string,
    token: string,
    purposes: readonly AccountTokenPurpose[],
  ): Promise<AccountTokenRecord | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    return this.deps.db.accountTokens.find(tenantId, await hashOf(token), purposes, this.deps.clock.now());
  }

  /** Spends the token (one caller wins a race); null as for `find`. */
  async consume(
    tenantId: string,
    token: string,
    purposes: readonly AccountTokenPurpose[],
  ): Promise<AccountTokenRecord | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    return this.deps.db.accountTokens.consume(tenantId, await hashOf(token), purposes, this.deps.clock.now());
  }

  /**
   * A changed password or address ends the user's pending resets and email
   * changes: a link sitting in a mailbox must not undo the owner's recovery.
   */
  spendPending(tenantId: string, userId: string): Promise<number> {
    return this.deps.db.accountTokens.spendAll(
      tenantId,
      userId,
      ["password_reset", "change_email"],
      this.deps.clock.now(),
    );
  }
}
