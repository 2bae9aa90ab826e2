/** What a mailed token lets its holder do (API.md, "Email: verification, password reset and change"). */
export type AccountTokenPurpose = "verify_email" | "password_reset" | "change_email";

/**
 * A single-use token sent by mail, stored only as its SHA-256. Bound to its
 * tenant, user and purpose, and to the address it was mailed to: the user's
 * address at the time (verification, reset) or the new one (change).
 */
export interface AccountTokenRecord {
  tokenHash: string;
  tenantId: string;
  userId: string;
  purpose: AccountTokenPurpose;
  /** Blind index of the address the token was mailed to. */
  emailIndex: string;
  /** change_email: the new address, sealed as the user's email column will hold it. */
  emailSealed: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export type NewAccountToken = Omit<AccountTokenRecord, "usedAt">;

export interface AccountTokenRepository {
  create(token: NewAccountToken): Promise<void>;
  /** The unspent, unexpired token with this hash, tenant and one of these purposes, without spending it. */
  find(
    tenantId: string,
    tokenHash: string,
    purposes: readonly AccountTokenPurpose[],
    at: Date,
  ): Promise<AccountTokenRecord | null>;
  /**
   * Spends the unspent, unexpired token with this hash, tenant and one of
   * these purposes in one statement (two requests racing: one wins) and
   * resolves it; null when there is none.
   */
  consume(
    tenantId: string,
    tokenHash: string,
    purposes: readonly AccountTokenPurpose[],
    at: Date,
  ): Promise<AccountTokenRecord | null>;
  /** Spends every unspent token of the user with one of these purposes; resolves how many. */
  spendAll(tenantId: string, userId: string, purposes: readonly AccountTokenPurpose[], at: Date): Promise<number>;
  /** Deletes tokens that expired before `before` (the daily cleanup); resolves how many. */
  purgeExpired(before: Date): Promise<number>;
  /** Unspent tokens of every tenant unexpired at `at`, in hash order after `afterHash`, for the re-encryption pass. */
  pageUsable(afterHash: string | null, limit: number, at: Date): Promise<AccountTokenRecord[]>;
  /**
   * Replaces an unspent token's address index and sealed address, only while
   * it still holds `from` (re-encryption); resolves whether it did.
   */
  reseal(
    tokenHash: string,
    from: Pick<AccountTokenRecord, "emailIndex" | "emailSealed">,
    to: Pick<AccountTokenRecord, "emailIndex" | "emailSealed">,
  ): Promise<boolean>;
}
