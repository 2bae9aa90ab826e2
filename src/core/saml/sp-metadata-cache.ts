/** How many connections' SP metadata one process or isolate keeps. */
const CAPACITY = 256;

/**
 * SP metadata built once per connection version (tenant, connection, its
 * updated_at, the issuer) instead of per request; oldest entry out first.
 */
export class SpMetadataCache {
  private readonly entries = new Map<string, string>();

  async get(
    version: { tenantId: string; name: string; updatedAt: Date; issuer: string },
    build: () => Promise<string>,
  ): Promise<string> {
    const key = JSON.stringify([version.tenantId, version.name, version.updatedAt.getTime(), version.issuer]);
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const xml = await build();
    // A Map iterates in insertion order: the first key is the oldest.
    if (this.entries.size >= CAPACITY) this.entries.delete(this.entries.keys().next().value ?? "");
    this.entries.set(key, xml);
    return xml;
  }

  /** Drops every version of a removed connection. */
  forget(tenantId: string, name: string): void {
    const prefix = JSON.stringify([tenantId, name]).slice(0, -1);
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${prefix},`)) this.entries.delete(key);
  }
}
