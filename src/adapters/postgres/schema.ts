/** The ledger's tables (one file per area under tables/), as drizzle reads them. */
import { tenants, userIdentities, users } from "./tables/accounts.js";
import { auditEvents } from "./tables/audit.js";
import { accountTokens, apiKeys } from "./tables/credentials.js";
import { mfaRecoveryCodes, mfaTotp, passkeys } from "./tables/mfa.js";
import { consents, oauthClients } from "./tables/oidc.js";
import { revokedAccessTokens, sessions, signingKeys } from "./tables/sessions.js";

export * from "./tables/accounts.js";
export * from "./tables/audit.js";
export * from "./tables/credentials.js";
export * from "./tables/federation.js";
export * from "./tables/mfa.js";
export * from "./tables/oidc.js";
export * from "./tables/sessions.js";

export const schema = {
  tenants,
  users,
  userIdentities,
  sessions,
  apiKeys,
  signingKeys,
  auditEvents,
  accountTokens,
  revokedAccessTokens,
  oauthClients,
  consents,
  mfaTotp,
  mfaRecoveryCodes,
  passkeys,
};
export type Schema = typeof schema;
