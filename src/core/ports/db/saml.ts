/** A tenant's SAML identity provider. */
export interface SamlConnectionRecord {
  id: string;
  tenantId: string;
  name: string;
  idpMetadataXml: string;
  idpEntityId: string;
  allowIdpInitiated: boolean;
  /** The IdP's emails count as verified (`trust_email`). */
  trustEmail: boolean;
  attributeMapping: Record<string, string>;
  enabled: boolean;
  spPrivateKeySealed: string;
  spCertificate: string;
  createdAt: Date;
  updatedAt: Date;
}

type SamlConnectionInput = Omit<SamlConnectionRecord, "createdAt" | "updatedAt"> & { now: Date };

export interface SamlConnectionRepository {
  /** Inserts or replaces the tenant's live connection of that name (one statement); the SP key of an existing one is kept. */
  upsert(connection: SamlConnectionInput): Promise<SamlConnectionRecord>;
  /**
   * Replaces the live connection (its SP key kept) only while every column a
   * write sets still holds what `was` read; resolves null, changing nothing, otherwise.
   */
  replaceIf(connection: SamlConnectionInput, was: SamlConnectionRecord): Promise<SamlConnectionRecord | null>;
  find(tenantId: string, name: string): Promise<SamlConnectionRecord | null>;
  /** The tenant's live connections in name order after `afterName`, at most `limit`. */
  list(tenantId: string, afterName: string | null, limit: number): Promise<SamlConnectionRecord[]>;
  /**
   * Soft-deletes the live connection (with `was`, only while it is as read, as
   * replaceIf); the name becomes free again. Resolves whether a live row changed.
   */
  softDelete(tenantId: string, name: string, now: Date, was?: SamlConnectionRecord): Promise<boolean>;
  /** Live connections of every tenant in id order after `afterId`, for the re-encryption pass. */
  page(afterId: string | null, limit: number): Promise<SamlConnectionRecord[]>;
  /** Replaces the sealed SP key of a live connection, only while it still holds `from` (re-encryption). */
  reseal(id: string, from: string, to: string): Promise<boolean>;
}
