/** A tenant's upstream OAuth 2.0 / OpenID Connect provider. */
export interface OAuthProviderRecord {
  id: string;
  tenantId: string;
  name: string;
  clientId: string;
  /** Sealed (row-level encryption); opened only to call the provider. */
  clientSecretSealed: string;
  issuer: string | null;
  scopes: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type OAuthProviderInput = Omit<OAuthProviderRecord, "createdAt" | "updatedAt"> & { now: Date };

export interface OAuthProviderRepository {
  /** Inserts or replaces the tenant's live provider of that name (one statement); resolves the stored row. */
  upsert(provider: OAuthProviderInput): Promise<OAuthProviderRecord>;
  /**
   * Replaces the live provider only while it still holds the sealed secret
   * `sealedWas` (every write seals anew, so it names the row's version);
   * resolves null, changing nothing, otherwise.
   */
  replaceIf(provider: OAuthProviderInput, sealedWas: string): Promise<OAuthProviderRecord | null>;
  find(tenantId: string, name: string): Promise<OAuthProviderRecord | null>;
  /** The tenant's live providers in name order after `afterName`, at most `limit`. */
  list(tenantId: string, afterName: string | null, limit: number): Promise<OAuthProviderRecord[]>;
  /**
   * Soft-deletes the live provider (with `sealedWas`, only while it holds that
   * sealed secret); the name becomes free again. Resolves whether a live row changed.
   */
  softDelete(tenantId: string, name: string, now: Date, sealedWas?: string): Promise<boolean>;
  /** Live providers of every tenant in id order after `afterId`, for the re-encryption pass. */
  page(afterId: string | null, limit: number): Promise<OAuthProviderRecord[]>;
  /** Replaces the sealed client secret of a live provider, only while it still holds `from` (re-encryption). */
  reseal(id: string, from: string, to: string): Promise<boolean>;
}

/** A user's account at an upstream provider (`oauth:{provider}` + the provider's subject). */
export interface IdentityRecord {
  id: string;
  tenantId: string;
  userId: string;
  provider: string;
  subject: string;
  /** The provider asserted the account's address verified when it was linked. */
  emailVerified: boolean;
  createdAt: Date;
}

export interface IdentityRepository {
  find(tenantId: string, provider: string, subject: string): Promise<IdentityRecord | null>;
  /** Links unless the tenant already has this provider + subject; resolves null in that case. */
  createIfAbsent(
    identity: Omit<IdentityRecord, "createdAt"> & { profileSealed: string | null; now: Date },
  ): Promise<IdentityRecord | null>;
  /**
   * Unlinks every identity of a provider (soft delete): once a provider or
   * connection is removed or points at another issuer, its subjects may name
   * other people. Resolves how many were unlinked.
   */
  unlinkProvider(tenantId: string, provider: string, at: Date): Promise<number>;
  /**
   * Unlinks the user's identities whose provider never asserted the address
   * verified (soft delete): a password reset proved the mailbox, and such an
   * identity may be someone else's who claimed the address first. Resolves how many.
   */
  unlinkUnverified(tenantId: string, userId: string, at: Date): Promise<number>;
  /** Records a login through the identity (and its latest sealed profile). */
  recordLogin(tenantId: string, id: string, profileSealed: string | null, at: Date): Promise<void>;
  /** Live identities of every tenant that hold a profile, in id order after `afterId`, for the re-encryption pass. */
  pageProfiles(afterId: string | null, limit: number): Promise<SealedProfile[]>;
  /** Replaces the sealed profile of a live identity, only while it still holds `from` (re-encryption). */
  resealProfile(id: string, from: string, to: string): Promise<boolean>;
}

/** An identity's sealed profile and what its sealing context names. */
interface SealedProfile {
  id: string;
  tenantId: string;
  provider: string;
  subject: string;
  profileSealed: string;
}
