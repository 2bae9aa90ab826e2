import type { AccountTokenRepository } from "./db/account-tokens.js";
import type { ApiKeyRepository } from "./db/api-keys.js";
import type { AuditRepository } from "./db/audit.js";
import type { ClientRepository } from "./db/clients.js";
import type { ConsentRepository } from "./db/consents.js";
import type { IdentityRepository, OAuthProviderRepository } from "./db/federation.js";
import type { RecoveryCodeRepository, TotpRepository } from "./db/mfa.js";
import type { PasskeyRepository } from "./db/passkeys.js";
import type { RevokedAccessTokenRepository } from "./db/revoked-access-tokens.js";
import type { SamlConnectionRepository } from "./db/saml.js";
import type { SealedValueRepository } from "./db/sealed-values.js";
import type { SessionRepository } from "./db/sessions.js";
import type { SigningKeyRepository } from "./db/signing-keys.js";
import type { TenantRepository } from "./db/tenants.js";
import type { UserRepository } from "./db/users.js";

export type {
  AccountTokenPurpose,
  AccountTokenRecord,
  AccountTokenRepository,
  NewAccountToken,
} from "./db/account-tokens.js";
export type { ApiKeyRecord, ApiKeyRepository, NewApiKey } from "./db/api-keys.js";
export type {
  AuditActorType,
  AuditCursor,
  AuditEventRecord,
  AuditRepository,
} from "./db/audit.js";
export type { ClientChanges, ClientRecord, ClientRepository, NewClient } from "./db/clients.js";
export type { ConsentRecord, ConsentRepository } from "./db/consents.js";
export type {
  IdentityRecord,
  IdentityRepository,
  OAuthProviderInput,
  OAuthProviderRecord,
  OAuthProviderRepository,
} from "./db/federation.js";
export type { ListingPosition } from "./db/listing.js";
export type { RecoveryCodeRepository, TotpRecord, TotpRepository } from "./db/mfa.js";
export type { NewPasskey, PasskeyRecord, PasskeyRepository, PasskeyTransport } from "./db/passkeys.js";
export type { RevokedAccessToken, RevokedAccessTokenRepository } from "./db/revoked-access-tokens.js";
export type { SamlConnectionRecord, SamlConnectionRepository } from "./db/saml.js";
export type { SampledTable, SealedSample, SealedValueRepository } from "./db/sealed-values.js";
export type { NewSession, SessionRecord, SessionRepository, SessionRotation } from "./db/sessions.js";
export type {
  NewSigningKey,
  SigningAlgorithm,
  SigningKeyRecord,
  SigningKeyRepository,
  SigningKeyState,
} from "./db/signing-keys.js";
export type { Tenant, TenantRepository } from "./db/tenants.js";
export type {
  SecondFactorKind,
  UserAsRead,
  UserChanges,
  UserPosition,
  UserRecord,
  UserRepository,
} from "./db/users.js";

/**
 * The Postgres port. One implementation (src/adapters/postgres) runs on three
 * drivers: pg (Node), neon-http (Workers), PGlite (embedded default); every
 * one passes test/contract/repositories.contract.ts.
 */
export interface Database {
  readonly driver: "pg" | "neon-http" | "pglite";
  readonly tenants: TenantRepository;
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly oauthProviders: OAuthProviderRepository;
  readonly identities: IdentityRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly samlConnections: SamlConnectionRepository;
  readonly auditEvents: AuditRepository;
  readonly accountTokens: AccountTokenRepository;
  readonly clients: ClientRepository;
  readonly consents: ConsentRepository;
  readonly passkeys: PasskeyRepository;
  readonly totp: TotpRepository;
  readonly recoveryCodes: RecoveryCodeRepository;
  readonly revokedAccessTokens: RevokedAccessTokenRepository;
  readonly sealedValues: SealedValueRepository;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
