import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import type { ClientType, GrantType } from "../../../core/oidc/client-types.js";
import { tenants, users } from "./accounts.js";
import { at, live, timestamps } from "./columns.js";

// OpenID Provider clients and the consents users gave them.

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
