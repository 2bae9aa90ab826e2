import { BoundedCache } from "./bounded-cache.js";
import { errors } from "./errors.js";
import type { Clock, Random } from "./ports/clock.js";
import type { Database, Tenant } from "./ports/database.js";

export const TENANT_SLUG = /^[a-z0-9-]{1,63}$/;
export const DEFAULT_TENANT = "default";

/** How long a tenant lookup by slug is reused in this process or isolate. */
const CACHE_MS = 5_000;
/**
 * Slugs come from URLs: unknown ones are cached apart from known tenants and
 * bounded on their own, so a flood of random slugs never evicts a tenant.
 */
const MAX_KNOWN = 10_000;
const MAX_UNKNOWN = 1_000;
/**
 * A slug this process found a tenant under within this long is refreshed
 * without the per-network lookup limit: only slugs it never found cost the
 * client's budget, so a busy client's budget does not shrink with every
 * replica and tenant it reaches (each refreshes every CACHE_MS).
 */
const FOUND_MS = 3_600_000;

/** The refusal of the request that started a shared lookup (its client's limit), not to be shared. */
class StarterRefused extends Error {
  constructor(readonly refusal: unknown) {
    super("the lookup's starter was refused");
  }
}

/**
 * Tenants: lookup by slug on every tenant-scoped request (cached briefly, so
 * the hot path does not pay a database round trip each time) and creation.
 */
export class TenantService {
  private readonly known = new BoundedCache<Tenant>(MAX_KNOWN, CACHE_MS);
  private readonly unknown = new BoundedCache<true>(MAX_UNKNOWN, CACHE_MS);
  private readonly found = new BoundedCache<true>(MAX_KNOWN, FOUND_MS);
  /** Lookups in flight (the starter's limit check, then the query), and queries in flight, by slug. */
  private readonly lookups = new Map<string, Promise<Tenant | null>>();
  private readonly queries = new Map<string, Promise<Tenant | null>>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /**
   * The tenant, or a `tenant_not_found` error (404). `beforeLookup` runs only
   * when the database must be asked (a cache miss) and may throw to refuse
   * the lookup (the per-network limit on lookups).
   */
  async require(slug: string, beforeLookup?: () => Promise<void>): Promise<Tenant> {
    const tenant = TENANT_SLUG.test(slug) ? await this.find(slug, beforeLookup) : null;
    if (!tenant) throw errors.tenantNotFound(slug.slice(0, 63));
    return tenant;
  }

  private async find(slug: string, beforeLookup?: () => Promise<void>): Promise<Tenant | null> {
    const now = this.clock.now().getTime();
    const known = this.known.get(slug, now);
    if (known) return known;
    if (this.unknown.get(slug, now)) return null;
    if (this.found.get(slug, now)) beforeLookup = undefined;
    // Concurrent misses of one slug (a busy client when its tenant's entry expires) share one
    // lookup: one limit check and one query, not one per request in flight.
    const pending = this.lookups.get(slug);
    if (pending) {
      try {
        return await pending;
      } catch (error) {
        if (!(error instanceof StarterRefused)) throw error;
        // The request that started it was over its own client's limit: this one answers for itself.
      }
      await beforeLookup?.();
      return this.query(slug);
    }
    const lookup = (async () => {
      try {
        await beforeLookup?.();
      } catch (error) {
        throw new StarterRefused(error);
      }
      return this.query(slug);
    })().finally(() => this.lookups.delete(slug));
    this.lookups.set(slug, lookup);
    try {
      return await lookup;
    } catch (error) {
      throw error instanceof StarterRefused ? error.refusal : error;
    }
  }

  private query(slug: string): Promise<Tenant | null> {
    let query = this.queries.get(slug);
    if (!query) {
      query = this.db.tenants
        .findBySlug(slug)
        .then((tenant) => {
          this.remember(slug, tenant);
          return tenant;
        })
        .finally(() => this.queries.delete(slug));
      this.queries.set(slug, query);
    }
    return query;
  }

  private remember(slug: string, tenant: Tenant | null): void {
    const now = this.clock.now().getTime();
    if (tenant) {
      this.known.set(slug, tenant, now);
      this.found.set(slug, true, now);
      this.unknown.delete(slug);
    } else {
      this.known.delete(slug);
      this.found.delete(slug);
      this.unknown.set(slug, true, now);
    }
  }

  /** The tenant as stored now, past the cache: what a conditional write compares (null when gone). */
  fresh(tenant: Tenant): Promise<Tenant | null> {
    return this.db.tenants.findBySlug(tenant.slug);
  }

  /** Live tenants in slug order after `afterSlug` (the admin listing; not cached). */
  list(afterSlug: string | null, limit: number): Promise<Tenant[]> {
    return this.db.tenants.listBySlug(afterSlug, limit);
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
    this.remember(slug, tenant);
    return tenant;
  }

  /**
   * Changes some of a tenant's settings (and its branding logo's bytes, when
   * given). Other processes see the change once their cached lookup expires (at most 5 s).
   */
  async updateSettings(
    tenant: Tenant,
    patch: Record<string, unknown>,
    logo?: Uint8Array | null,
    basis?: Tenant,
  ): Promise<Tenant> {
    // A conditional write (RFC 9110 §13.1.1): only while the patched settings still hold the basis's values.
    const expected = basis && Object.fromEntries(Object.keys(patch).map((key) => [key, basis.settings[key]]));
    const updated = await this.db.tenants.mergeSettings(tenant.id, patch, this.clock.now(), logo, expected);
    if (!updated && basis) throw errors.preconditionFailed();
    this.remember(tenant.slug, updated);
    if (!updated) throw errors.tenantNotFound(tenant.slug);
    return updated;
  }

  /**
   * Idempotent: seeds the `default` tenant of a fresh install. Resolves whether it was created.
   * Looked up first: a replica started on a database whose migrations are still pending (a
   * restored older dump, MIGRATE_ON_START=false) reads it, where the insert names every column
   * this release knows (0020's `logo`) and failed the start.
   */
  async ensureDefault(): Promise<boolean> {
    if (await this.db.tenants.findBySlug(DEFAULT_TENANT)) return false;
    const created = await this.db.tenants.createIfAbsent({
      id: this.random.uuid(),
      slug: DEFAULT_TENANT,
      name: "Default",
      now: this.clock.now(),
    });
    return created !== null;
  }
}
