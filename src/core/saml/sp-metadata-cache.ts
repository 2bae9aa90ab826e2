import { BoundedCache } from "../bounded-cache.js";

/** How many connections' SP metadata one process or isolate keeps. */
const CAPACITY = 256;

/**
 * SP metadata built once per connection version (tenant, connection, its
 * updated_at, the issuer) instead of per request.
 */
export class SpMetadataCache {
  private readonly entries = new BoundedCache<string>(CAPACITY);

  async get(
    version: { tenantId: string; name: string; updatedAt: Date; issuer: string },
    build: () => Promise<string>,
  ): Promise<string> {
    const key = JSON.stringify([version.tenantId, version.name, version.updatedAt.getTime(), version.issuer]);
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const xml = await build();
    this.entries.set(key, xml);
    return xml;
  }

  /** Drops every version of a removed connection. */
  forget(tenantId: string, name: string): void {
    this.entries.deleteMatching(`${JSON.stringify([tenantId, name]).slice(0, -1)},`);
  }
}
