import type { ApiKeyService } from "./api-keys/api-keys.js";
import type { ListingPosition, Tenant } from "./ports/database.js";
import type { SessionService } from "./sessions/sessions.js";

/** API keys revoked at a time (ApiKeyService.revoke each, so each is tombstoned in Redis and logged). */
const KEY_PAGE = 100;

/**
 * Ends every credential of the tenant a database restore may have brought
 * back (docs/operations.md, "Restoring a backup"), or a breach exposed: every
 * session (Redis refuses them at once, the ledger records them ended; see
 * BulkRevocation.ofTenant) and, with `includeApiKeys`, every API key of the
 * tenant, users' and service keys. Resolves how many were live.
 */
export async function revokeAllOfTenant(
  services: { sessions: SessionService; apiKeys: ApiKeyService },
  tenant: Tenant,
  includeApiKeys: boolean,
): Promise<{ sessions: number; apiKeys: number }> {
  const sessions = await services.sessions.revokeAllOfTenant(tenant);
  let apiKeys = 0;
  if (includeApiKeys) {
    // Newest first after the last one seen: a key that cannot be revoked (expired meanwhile) is not read again.
    for (let after: ListingPosition | null = null; ; ) {
      const page = await services.apiKeys.list(tenant, "any", after, KEY_PAGE);
      const revoked = await Promise.all(page.map(({ key }) => services.apiKeys.revoke(tenant, "any", key.id)));
      apiKeys += revoked.filter(Boolean).length;
      if (page.length < KEY_PAGE) break;
      after = page.at(-1)?.position ?? null;
    }
  }
  return { sessions, apiKeys };
}
