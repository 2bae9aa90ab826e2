export interface Tenant {
  id: string;
  slug: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

interface NewTenant {
  id: string;
  slug: string;
  name: string;
  settings?: Record<string, unknown>;
  now: Date;
}

export interface TenantRepository {
  /** The live (not soft-deleted) tenant with this slug. */
  findBySlug(slug: string): Promise<Tenant | null>;
  /** Inserts unless a live tenant has the slug; resolves null in that case. */
  createIfAbsent(tenant: NewTenant): Promise<Tenant | null>;
  /** Live tenants in id order after `afterId`, for jobs that visit every tenant. */
  page(afterId: string | null, limit: number): Promise<Tenant[]>;
  /** Live tenants in slug order after `afterSlug`, at most `limit` (the admin listing). */
  listBySlug(afterSlug: string | null, limit: number): Promise<Tenant[]>;
  /**
   * Sets the given top-level settings, keeping the others, and the branding
   * logo's bytes when `logo` is given (null removes it); resolves the updated
   * tenant (null when gone). With `expected`, only while each setting it names
   * still holds that value (undefined: absent), checked in the update itself;
   * else resolves null and changes nothing.
   */
  mergeSettings(
    id: string,
    patch: Record<string, unknown>,
    now: Date,
    logo?: Uint8Array | null,
    expected?: Record<string, unknown>,
  ): Promise<Tenant | null>;
  /** The live tenant's branding logo as stored by mergeSettings; null when none (or gone). */
  findLogo(id: string): Promise<Uint8Array | null>;
  /** Soft-deletes; the slug becomes free again. Resolves whether a live row changed. */
  softDelete(id: string, now: Date): Promise<boolean>;
}
