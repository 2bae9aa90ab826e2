import { sql } from "drizzle-orm";
import type { SealedSample, SealedValueRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { rowsOf } from "./errors.js";

/**
 * One statement (one round trip, one subrequest on neon-http). Per tenant,
 * each branch is a probe of an index: users_tenant_created_idx (oldest
 * first), signing_keys_published_idx (next, active), mfa_totp_user_idx, and
 * the live-name unique indexes of providers and connections.
 */
const SAMPLE = sql`
  SELECT s.tbl AS "table", s.tenant_id AS "tenantId", s.id, s.name, s.sealed
  FROM tenants t
  CROSS JOIN LATERAL (
    (SELECT 'users' AS tbl, u.tenant_id, u.id, NULL::text AS name, u.email_sealed AS sealed
       FROM users u WHERE u.tenant_id = t.id AND u.deleted_at IS NULL
       ORDER BY u.created_at, u.id LIMIT 1)
    UNION ALL
    (SELECT 'signing_keys', k.tenant_id, k.id, NULL, k.private_key_sealed
       FROM signing_keys k WHERE k.tenant_id = t.id AND k.deleted_at IS NULL AND k.state IN ('next', 'active'))
    UNION ALL
    (SELECT 'mfa_totp', m.tenant_id, m.id, NULL, m.secret_sealed
       FROM mfa_totp m WHERE m.tenant_id = t.id AND m.deleted_at IS NULL LIMIT 1)
    UNION ALL
    (SELECT 'oauth_providers', p.tenant_id, p.id, p.name, p.client_secret_sealed
       FROM oauth_providers p WHERE p.tenant_id = t.id AND p.deleted_at IS NULL)
    UNION ALL
    (SELECT 'saml_connections', c.tenant_id, c.id, c.name, c.sp_private_key_sealed
       FROM saml_connections c WHERE c.tenant_id = t.id AND c.deleted_at IS NULL)
  ) s`;

export function sealedValueRepository(db: DrizzleDb): SealedValueRepository {
  return {
    async sample() {
      return rowsOf<SealedSample>(await db.execute(SAMPLE));
    },
  };
}
