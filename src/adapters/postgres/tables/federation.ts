import { boolean, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./accounts.js";
import { live, timestamps } from "./columns.js";

// A tenant's upstream identity providers.

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
