import { sql } from "drizzle-orm";
import type { Database } from "../../core/ports/database.js";
import { accountTokenRepository } from "./account-tokens.js";
import { apiKeyRepository } from "./api-keys.js";
import { auditRepository } from "./audit.js";
import { clientRepository } from "./clients.js";
import { consentRepository } from "./consents.js";
import type { DrizzleDb } from "./drizzle.js";
import { identityRepository, oauthProviderRepository } from "./federation.js";
import { recoveryCodeRepository, totpRepository } from "./mfa.js";
import { passkeyRepository } from "./passkeys.js";
import { revokedAccessTokenRepository } from "./revoked-access-tokens.js";
import { samlConnectionRepository } from "./saml.js";
import { sealedValueRepository } from "./sealed-values.js";
import { sessionRepository } from "./sessions.js";
import { signingKeyRepository } from "./signing-keys.js";
import { tenantRepository } from "./tenants.js";
import { guardDatabase } from "./unavailable.js";
import { userRepository } from "./users.js";

export type { DrizzleDb } from "./drizzle.js";

/** The repository layer over one drizzle database, whatever its driver; an outage raises StoreUnavailableError. */
export function createPostgresDatabase(
  db: DrizzleDb,
  driver: Database["driver"],
  close: () => Promise<void>,
): Database {
  return guardDatabase({
    driver,
    tenants: tenantRepository(db),
    users: userRepository(db),
    sessions: sessionRepository(db),
    signingKeys: signingKeyRepository(db),
    oauthProviders: oauthProviderRepository(db),
    identities: identityRepository(db),
    apiKeys: apiKeyRepository(db),
    samlConnections: samlConnectionRepository(db),
    auditEvents: auditRepository(db),
    accountTokens: accountTokenRepository(db),
    clients: clientRepository(db),
    consents: consentRepository(db),
    passkeys: passkeyRepository(db),
    totp: totpRepository(db),
    recoveryCodes: recoveryCodeRepository(db),
    revokedAccessTokens: revokedAccessTokenRepository(db),
    sealedValues: sealedValueRepository(db),
    async ping() {
      await db.execute(sql`select 1`);
    },
    close,
  });
}
