import { errors } from "./errors.js";
import type { Clock, Random } from "./ports/clock.js";
import type { Database, Tenant } from "./ports/database.js";

export const TENANT_SLUG = /^[a-z0-9-]{1,63}$/;
export const DEFAULT_TENANT = "default";

/** How long a tenant lookup by slug is reused in this process or isolate. */
const CACHE_MS = 5_000;

/**
 * Tenants: lookup by slug on every tenant-scoped request (cached briefly, so
 * the hot path does not pay a database round trip each time) and creation.
 */
export class TenantService {
  private readonly cache = new Map<string, { tenant: Tenant | null; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** The tenant, or a `tenant_not_found` error (404). */
  async require(slug: string): Promise<Tenant> {
    const tenant = TENANT_SLUG.test(slug) ? await this.find(slug) : null;
    if (!tenant) throw errors.tenantNotFound(slug.slice(0, 63));
    return tenant;
  }

  private async find(slug: string): Promise<Tenant | null> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(slug);
    if (hit && hit.until > now) return hit.tenant;
    const tenant = await this.db.tenants.findBySlug(slug);
    // Bounded: slugs come from URLs, so an attacker could otherwise grow it.
    if (this.cache.size >= 1_000) this.cache.clear();
    this.cache.set(slug, { tenant, until: now + CACHE_MS });
    return tenant;
  }

  /** Creates a tenant; `tenant_exists` (409) when the slug is taken. */
  async create(slug: string, name: string, settings: Record<string, unknown> = {}): Promise<Tenant> {
    const tenant = await this.db.tenants.createIfAbsent({
      id: this.random.uuid(),
      slug,
      name,
      settings: Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)),
      now: this.clock.now(),
    });
    if (!tenant) throw errors.tenantExists(slug);
    this.cache.delete(slug);
    return tenant;
  }

  /**
   * Changes some of a tenant's settings. Other processes see the change once
   * their cached lookup expires (at most 5 s).
   */
  async updateSettings(tenant: Tenant, patch: Record<string, unknown>): Promise<Tenant> {
    const updated = await this.db.tenants.mergeSettings(tenant.id, patch, this.clock.now());
    this.cache.delete(tenant.slug);
    if (!updated) throw errors.tenantNotFound(tenant.slug);
    return updated;
  }

  /** Idempotent: seeds the `default` tenant of a fresh install. Resolves whether it was created. */
  async ensureDefault(): Promise<boolean> {
    const created = await this.db.tenants.createIfAbsent({
      id: this.random.uuid(),
      slug: DEFAULT_TENANT,
      name: "Default",
      now: this.clock.now(),
    });
    return created !== null;
  }
}
