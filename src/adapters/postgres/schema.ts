import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { ClientType, GrantType } from "../../core/oidc/client-types.js";
import type {
  AccountTokenPurpose,
  AuditActorType,
  PasskeyTransport,
  SigningAlgorithm,
  SigningKeyState,
} from "../../core/ports/database.js";

/**
 * The ledger. Every table carries tenant_id (tenants: its own id), created_at,
 * updated_at and deleted_at (soft delete). Uniqueness that users see ignores
 * soft-deleted rows (partial unique indexes). Child rows reference their
 * parents through (tenant_id, id) so a row can never point into another tenant.
 */
const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
};
const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const live = sql`deleted_at IS NULL`;

export const tenants = pgTable(
  "tenants",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id").notNull(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    /** Per-tenant settings (token lifetimes, signing algorithm, allowlists...). */
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("tenants_slug_live_key").on(t.slug).where(live),
    check("tenants_tenant_id_is_id", sql`${t.tenantId} = ${t.id}`),
    check("tenants_slug_format", sql`${t.slug} ~ '^[a-z0-9-]{1,63}$'`),
  ],
);

/** A deleted user's row keeps ids and timestamps only: its personal columns are erased (user-erasure.ts). */
export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    /** Keyed hash of the normalised email (blind index): lookups without plaintext. */
    emailIndex: text("email_index").notNull(),
    /** The email sealed with AES-256-GCM under a versioned key (row-level encryption). */
    emailSealed: text("email_sealed").notNull(),
    nameSealed: text("name_sealed"),
    emailVerified: boolean("email_verified").notNull().default(false),
    /** Scopes the user holds beyond the defaults every token carries (e.g. `admin`). */
    scopes: jsonb("scopes").$type<string[]>().notNull().default([]),
    /** PHC string (argon2id); null for accounts that only log in through a federation. */
    passwordHash: text("password_hash"),
    lastLoginAt: at("last_login_at"),
    /** Set while an admin has disabled the account: no login, no refresh, no API key. */
    disabledAt: at("disabled_at"),
    ...timestamps,
  },
  (t) => [
    unique("users_tenant_id_id_key").on(t.tenantId, t.id),
    uniqueIndex("users_tenant_email_live_key").on(t.tenantId, t.emailIndex).where(live),
    // The admin listing's keyset, newest first.
    index("users_tenant_created_idx").on(t.tenantId, t.createdAt, t.id).where(live),
  ],
);

/** A tenant's upstream OAuth 2.0 / OpenID Connect providers (`PUT /v1/admin/oauth-providers/{name}`). */
export const oauthProviders = pgTable(
  "oauth_providers",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    /** A catalogue name (`google`, `github`...) or a tenant-chosen name of a generic OIDC provider. */
    name: text("name").notNull(),
    clientId: text("client_id").notNull(),
    /** Sealed with AES-256-GCM under the row-level encryption keys. */
    clientSecretSealed: text("client_secret_sealed").notNull(),
    /** Generic OIDC (and per-directory catalogue entries): the issuer whose discovery document is read. */
    issuer: text("issuer"),
    scopes: jsonb("scopes").$type<string[]>().notNull().default([]),
    enabled: boolean("enabled").notNull().default(true),
    ...timestamps,
  },
  (t) => [uniqueIndex("oauth_providers_tenant_name_live_key").on(t.tenantId, t.name).where(live)],
);

/** A tenant's SAML identity providers (`PUT /v1/admin/saml-connections/{name}`). */
export const samlConnections = pgTable(
  "saml_connections",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    /** The IdP's metadata as given (entity id, SSO endpoints, signing certificates). */
    idpMetadataXml: text("idp_metadata_xml").notNull(),
    idpEntityId: text("idp_entity_id").notNull(),
    allowIdpInitiated: boolean("allow_idp_initiated").notNull().default(false),
    /** Whether the IdP's emails count as verified (Keycloak's "Trust Email"); off unless the admin vouches. */
    trustEmail: boolean("trust_email").notNull().default(false),
    /** Attribute names for `email` and `name` in the IdP's assertions. */
    attributeMapping: jsonb("attribute_mapping").$type<Record<string, string>>().notNull().default({}),
    enabled: boolean("enabled").notNull().default(true),
    /** The connection's own SP key (PKCS#8 PEM), sealed; its certificate is public. */
    spPrivateKeySealed: text("sp_private_key_sealed").notNull(),
    spCertificate: text("sp_certificate").notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("saml_connections_tenant_name_live_key").on(t.tenantId, t.name).where(live)],
);

export const userIdentities = pgTable(
  "user_identities",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    /** `oauth:{provider}` or `saml:{connection}`. */
    provider: text("provider").notNull(),
    /** The subject at the provider (OIDC `sub`, SAML NameID). */
    subject: text("subject").notNull(),
    emailIndex: text("email_index"),
    profileSealed: text("profile_sealed"),
    /** The provider asserted the address verified when the identity was linked (rows from before: false). */
    emailVerified: boolean("email_verified").notNull().default(false),
    lastLoginAt: at("last_login_at"),
    ...timestamps,
  },
  (t) => [
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    uniqueIndex("user_identities_provider_subject_live_key").on(t.tenantId, t.provider, t.subject).where(live),
    index("user_identities_user_idx").on(t.tenantId, t.userId),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    /** `password`, `oauth:{provider}`, `saml:{connection}`. */
    authMethod: text("auth_method").notNull(),
    amr: jsonb("amr").$type<string[]>().notNull().default([]),
    clientId: text("client_id"),
    scope: text("scope").notNull().default(""),
    userAgent: text("user_agent"),
    ip: text("ip"),
    authTime: at("auth_time").notNull(),
    lastUsedAt: at("last_used_at").notNull(),
    /** Idle expiry; slides forward on each refresh, never past absolute_expires_at. */
    expiresAt: at("expires_at").notNull(),
    absoluteExpiresAt: at("absolute_expires_at").notNull(),
    revokedAt: at("revoked_at"),
    revokedReason: text("revoked_reason"),
    /**
     * The ledger of the refresh-token family (Redis is the hot path): the
     * generation and SHA-256 of the newest token, so a Redis loss can be
     * re-seeded without weakening reuse detection. Only ever moves forward.
     */
    refreshGeneration: integer("refresh_generation").notNull().default(0),
    refreshHash: text("refresh_hash"),
    ...timestamps,
  },
  (t) => [
    unique("sessions_tenant_id_id_key").on(t.tenantId, t.id),
    // The cleanup finds long-revoked sessions by it.
    index("sessions_revoked_at_idx").on(t.revokedAt).where(sql`revoked_at IS NOT NULL`),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    index("sessions_user_active_idx").on(t.tenantId, t.userId).where(sql`revoked_at IS NULL AND deleted_at IS NULL`),
    check("sessions_expiry_within_absolute", sql`${t.expiresAt} <= ${t.absoluteExpiresAt}`),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    /** The owner, a key acting with at most its owner's scopes; null for a service key of the tenant. */
    userId: uuid("user_id"),
    name: text("name").notNull(),
    /** Shown in listings so a person can tell keys apart; not enough to use the key. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key, hex. The key itself is never stored. */
    keyHash: text("key_hash").notNull(),
    scopes: jsonb("scopes").$type<string[]>().notNull().default([]),
    expiresAt: at("expires_at"),
    lastUsedAt: at("last_used_at"),
    revokedAt: at("revoked_at"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_key").on(t.keyHash),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    index("api_keys_owner_idx").on(t.tenantId, t.userId).where(live),
  ],
);

export const signingKeys = pgTable(
  "signing_keys",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    kid: text("kid").notNull(),
    alg: text("alg").$type<SigningAlgorithm>().notNull(),
    state: text("state").$type<SigningKeyState>().notNull(),
    publicJwk: jsonb("public_jwk").$type<Record<string, unknown>>().notNull(),
    /** The private JWK sealed with AES-256-GCM (row-level encryption). */
    privateKeySealed: text("private_key_sealed").notNull(),
    activatedAt: at("activated_at"),
    retiredAt: at("retired_at"),
    /** A retired key leaves the JWKS once every token it signed has expired. */
    publishUntil: at("publish_until"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("signing_keys_kid_key").on(t.tenantId, t.kid),
    // One active and one next key per tenant: deferrable exclusion constraints
    // written by hand in migrations/0002 (drizzle cannot declare them), so one
    // statement can retire, promote and add keys together (rotation).
    index("signing_keys_published_idx").on(t.tenantId, t.state).where(live),
    check("signing_keys_state_known", sql`${t.state} IN ('next', 'active', 'retired')`),
  ],
);

/**
 * The audit trail: append-only, so unlike the other tables it has no
 * updated_at or deleted_at; rows leave only through retention. Kept compact
 * (logins write here): ids as uuid, the address as inet, details small.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    at: at("at").notNull(),
    action: text("action").notNull(),
    actorType: text("actor_type").$type<AuditActorType>().notNull(),
    actorId: text("actor_id"),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: inet("ip"),
    requestId: text("request_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_events_tenant_at_idx").on(t.tenantId, t.at, t.id), index("audit_events_at_idx").on(t.at)],
);

/**
 * Access tokens revoked one by one (RFC 7009), until they expire: the ledger
 * behind their Redis blocklist marks. `session_id` is the token's `sid`, with
 * no foreign key: a client's own tokens share a `sid` that names no session.
 */
export const revokedAccessTokens = pgTable(
  "revoked_access_tokens",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    sessionId: uuid("session_id").notNull(),
    jti: text("jti").notNull(),
    expiresAt: at("expires_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.sessionId, t.jti] }),
    // The cleanup deletes expired ones.
    index("revoked_access_tokens_expires_idx").on(t.expiresAt),
  ],
);

/**
 * Single-use tokens sent by mail (verification, reset, email change). They
 * live a day at most, so instead of updated_at/deleted_at a row has used_at
 * and leaves through the daily cleanup once expired. Only the SHA-256 of a
 * token is stored: a leaked table lets nobody use one.
 */
export const accountTokens = pgTable(
  "account_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    purpose: text("purpose").$type<AccountTokenPurpose>().notNull(),
    emailIndex: text("email_index").notNull(),
    emailSealed: text("email_sealed"),
    createdAt: at("created_at").notNull(),
    expiresAt: at("expires_at").notNull(),
    usedAt: at("used_at"),
  },
  (t) => [
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    // Spending a user's open tokens when the password changes.
    index("account_tokens_user_idx").on(t.tenantId, t.userId).where(sql`used_at IS NULL`),
    index("account_tokens_expires_idx").on(t.expiresAt),
    check("account_tokens_purpose_known", sql`${t.purpose} IN ('verify_email', 'password_reset', 'change_email')`),
  ],
);

/**
 * A tenant's OAuth 2.0 / OpenID Connect clients (`/v1/admin/clients`). The id
 * is random (16 bytes, base64url) and never reused: a deleted client keeps
 * its row. Only SHA-256 of a secret is stored; during a rotation's overlap the
 * previous secret's hash is kept until previous_secret_expires_at.
 */
export const oauthClients = pgTable(
  "oauth_clients",
  {
    clientId: text("client_id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    type: text("type").$type<ClientType>().notNull(),
    /** Hex SHA-256 of the current secret; null for a public client. */
    secretHash: text("secret_hash"),
    previousSecretHash: text("previous_secret_hash"),
    previousSecretExpiresAt: at("previous_secret_expires_at"),
    redirectUris: jsonb("redirect_uris").$type<string[]>().notNull().default([]),
    postLogoutRedirectUris: jsonb("post_logout_redirect_uris").$type<string[]>().notNull().default([]),
    grantTypes: jsonb("grant_types").$type<GrantType[]>().notNull().default([]),
    scopes: jsonb("scopes").$type<string[]>().notNull().default([]),
    firstParty: boolean("first_party").notNull().default(false),
    /** Seconds; null for the tenant's default. */
    accessTokenTtl: integer("access_token_ttl"),
    refreshTokenTtl: integer("refresh_token_ttl"),
    ...timestamps,
  },
  (t) => [
    unique("oauth_clients_tenant_client_key").on(t.tenantId, t.clientId),
    // The admin listing, newest first.
    index("oauth_clients_tenant_created_idx").on(t.tenantId, t.createdAt).where(live),
    check("oauth_clients_type_known", sql`${t.type} IN ('public', 'confidential')`),
    // RFC 6749 §2.1: a confidential client has a secret, a public one none.
    check("oauth_clients_secret_of_type", sql`(${t.type} = 'confidential') = (${t.secretHash} IS NOT NULL)`),
  ],
);

/**
 * What a user let a third-party client have (the consent page): one row per
 * user and client, its scopes only ever widened by later grants. Withdrawing
 * consent deletes the row, so there is no deleted_at.
 */
export const consents = pgTable(
  "consents",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    clientId: text("client_id").notNull(),
    scopes: jsonb("scopes").$type<string[]>().notNull().default([]),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "consents_tenant_user_client_pk", columns: [t.tenantId, t.userId, t.clientId] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ columns: [t.tenantId, t.clientId], foreignColumns: [oauthClients.tenantId, oauthClients.clientId] }),
  ],
);

/**
 * A user's TOTP authenticator (RFC 6238). The secret is sealed like the
 * user's email; last_used_step is the highest time step a code was accepted
 * for, so a code (or an earlier one) is never accepted twice. A row is
 * pending until its first code confirms it; one confirmed live row per user.
 */
export const mfaTotp = pgTable(
  "mfa_totp",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    secretSealed: text("secret_sealed").notNull(),
    confirmedAt: at("confirmed_at"),
    lastUsedStep: bigint("last_used_step", { mode: "number" }),
    lastUsedAt: at("last_used_at"),
    ...timestamps,
  },
  (t) => [
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    uniqueIndex("mfa_totp_user_confirmed_key")
      .on(t.tenantId, t.userId)
      .where(sql`confirmed_at IS NOT NULL AND deleted_at IS NULL`),
    index("mfa_totp_user_idx").on(t.tenantId, t.userId).where(live),
  ],
);

/**
 * A user's recovery codes, only their SHA-256 (hex): one generation of 10 at
 * a time (regenerating deletes the previous), each spent once (used_at).
 */
export const mfaRecoveryCodes = pgTable(
  "mfa_recovery_codes",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    codeHash: text("code_hash").notNull(),
    usedAt: at("used_at"),
    createdAt: at("created_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "mfa_recovery_codes_pk", columns: [t.tenantId, t.userId, t.codeHash] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
  ],
);

/** WebAuthn credentials (passkeys) of users; the public key only, never a secret. */
export const passkeys = pgTable(
  "passkeys",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    /** base64url, as the authenticator returned it. */
    credentialId: text("credential_id").notNull(),
    /** The COSE public key, base64url. */
    publicKey: text("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: jsonb("transports").$type<PasskeyTransport[]>().notNull().default([]),
    deviceType: text("device_type").$type<"singleDevice" | "multiDevice">().notNull(),
    backedUp: boolean("backed_up").notNull(),
    name: text("name"),
    lastUsedAt: at("last_used_at"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("passkeys_tenant_credential_key").on(t.tenantId, t.credentialId).where(live),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    index("passkeys_user_idx").on(t.tenantId, t.userId).where(live),
  ],
);

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
