/**
 * The Postgres port. One implementation (src/adapters/postgres) runs on three
 * drivers: pg (Node), neon-http (Workers), PGlite (embedded default); every
 * one passes test/contract/repositories.contract.ts.
 */
export interface Tenant {
  id: string;
  slug: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewTenant {
  id: string;
  slug: string;
  name: string;
  now: Date;
}

export interface TenantRepository {
  /** The live (not soft-deleted) tenant with this slug. */
  findBySlug(slug: string): Promise<Tenant | null>;
  /** Inserts unless a live tenant has the slug; resolves null in that case. */
  createIfAbsent(tenant: NewTenant): Promise<Tenant | null>;
  /** Soft-deletes; the slug becomes free again. Resolves whether a live row changed. */
  softDelete(id: string, now: Date): Promise<boolean>;
}

export interface Database {
  readonly driver: "pg" | "neon-http" | "pglite";
  readonly tenants: TenantRepository;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
