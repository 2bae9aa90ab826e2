/** A user's TOTP authenticator (RFC 6238); pending until a first code confirms it. */
export interface TotpRecord {
  id: string;
  tenantId: string;
  userId: string;
  /** The 20-byte secret, sealed like the user's email. */
  secretSealed: string;
  confirmedAt: Date | null;
  /** The highest time step a code was accepted for; codes of this or an earlier step are refused. */
  lastUsedStep: number | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

interface NewTotp {
  id: string;
  tenantId: string;
  userId: string;
  secretSealed: string;
  now: Date;
}

export interface TotpRepository {
  /**
   * Stores a pending authenticator in place of the user's earlier unconfirmed
   * ones (an abandoned enrollment, live or removed): those rows are deleted,
   * so their secrets are kept nowhere.
   */
  createPending(totp: NewTotp): Promise<void>;
  /** The live authenticator with this id (pending or confirmed). */
  find(tenantId: string, userId: string, id: string): Promise<TotpRecord | null>;
  /** The user's confirmed live authenticator. */
  findConfirmed(tenantId: string, userId: string): Promise<TotpRecord | null>;
  /**
   * Confirms a pending authenticator with the step of its first code, and
   * deletes the user's other pending ones (concurrent starts each keep one);
   * false when it is gone, already confirmed, or the user confirmed another one meanwhile.
   */
  confirm(tenantId: string, userId: string, id: string, step: number, at: Date): Promise<boolean>;
  /**
   * Records that a code of this step was accepted, in one statement that only
   * succeeds when the step is later than every accepted one (two requests
   * racing with one code: one wins); false otherwise.
   */
  useStep(tenantId: string, userId: string, id: string, step: number, at: Date): Promise<boolean>;
  /** Removes the authenticator (deletes a pending one, soft-deletes a confirmed one); false when there was none. */
  remove(tenantId: string, userId: string, id: string, at: Date): Promise<boolean>;
  /** Removes every authenticator of the user, as `remove` does; resolves how many. */
  removeAll(tenantId: string, userId: string, at: Date): Promise<number>;
  /**
   * Deletes up to `limit` authenticators (any tenant) that were never
   * confirmed and were removed, or sit beside a confirmed one of their user:
   * enrollments an earlier release abandoned, secret and all. Resolves how many.
   */
  purgeAbandoned(limit: number): Promise<number>;
  /** Live authenticators of every tenant in id order after `afterId`, for the re-encryption pass. */
  page(afterId: string | null, limit: number): Promise<TotpRecord[]>;
  /** Replaces the sealed secret of a live authenticator, only while it still holds `from` (re-encryption). */
  reseal(id: string, from: string, to: string): Promise<boolean>;
}

/** A stored recovery code an earlier release wrote: its bare SHA-256, no format prefix. */
interface UnsaltedRecoveryCode {
  tenantId: string;
  userId: string;
  codeHash: string;
}

export interface RecoveryCodeRepository {
  /** Replaces the user's codes with these stored values (recovery-codes.ts) in one statement. */
  replaceAll(tenantId: string, userId: string, codeHashes: readonly string[], at: Date): Promise<void>;
  /** Spends the unused code stored as one of these values in one statement; false when there is none. */
  consume(tenantId: string, userId: string, codeHashes: readonly string[], at: Date): Promise<boolean>;
  countUnused(tenantId: string, userId: string): Promise<number>;
  removeAll(tenantId: string, userId: string): Promise<number>;
  /** Up to `limit` codes stored without a format prefix (`v1:`, `v2:`): what releases before migration 0019 wrote. */
  listUnsalted(limit: number): Promise<UnsaltedRecoveryCode[]>;
  /** Stores `to` in place of the user's code stored as `from`; false when there is none (replaced or removed since). */
  rehash(tenantId: string, userId: string, from: string, to: string): Promise<boolean>;
}
