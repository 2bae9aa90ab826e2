/** The tables whose sealed values the encryption-key check samples (see src/core/key-check.ts). */
export type SampledTable = "users" | "signing_keys" | "mfa_totp" | "oauth_providers" | "saml_connections";

/** One sealed value, with what its associated data is made of. */
export interface SealedSample {
  table: SampledTable;
  tenantId: string;
  id: string;
  /** The provider's or connection's name, which their values are bound to; null for the other tables. */
  name: string | null;
  sealed: string;
}

export interface SealedValueRepository {
  /**
   * A few live sealed values of each tenant where a key dropped too early
   * shows first, each read through an index (never a whole table): the
   * oldest user's email (the rows a pass not run yet leaves under the old
   * key), the signing keys that sign (next, active), one TOTP secret, every
   * provider's client secret and every SAML connection's SP key (a tenant
   * has a handful).
   */
  sample(): Promise<SealedSample[]>;
}
