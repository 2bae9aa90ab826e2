import type { z } from "@hono/zod-openapi";
import type { AdminUserView } from "../core/accounts/user-admin.js";
import type { CreateApiKeySchema } from "../http/routes/api-keys.js";

export type ServiceKeyRequest = z.infer<typeof CreateApiKeySchema>;

/** API.md's CreatedApiKey: the key itself is in this answer only. */
export interface CreatedServiceKey {
  id: string;
  prefix: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  key: string;
}

/**
 * What the operator commands of cli.js do to a tenant, in API.md's shapes.
 * Two implementations: on the core services directly (operator-direct.ts),
 * or through a running server's admin API (operator-http.ts) when that
 * server owns the embedded database and store. Failures are AppErrors
 * (tenant_not_found, not_found, validation_failed, email_taken...).
 */
export interface Operator {
  /** How the commands reach the data, for the operator to see. */
  readonly via: string;
  listUsers(
    tenant: string,
    query: { email?: string; limit: number; cursor?: string },
  ): Promise<{ users: AdminUserView[]; next_cursor: string | null }>;
  getUser(tenant: string, id: string): Promise<AdminUserView>;
  /** A password account, as a sign-up makes it (no session is left behind). */
  createUser(tenant: string, email: string, password: string): Promise<AdminUserView>;
  updateUser(tenant: string, id: string, changes: { scopes?: string[]; disabled?: boolean }): Promise<AdminUserView>;
  createServiceKey(tenant: string, request: ServiceKeyRequest): Promise<CreatedServiceKey>;
  close(): Promise<void>;
}
