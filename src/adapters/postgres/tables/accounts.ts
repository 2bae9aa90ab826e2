import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  foreignKey,
  index,
  jsonb,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { at, live, timestamps } from "./columns.js";

// Tenants, their users and the users' federated identities.

export const tenants = pgTable(
  "tenants",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id").notNull(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    /** Per-tenant settings (token lifetimes, signing algorithm, allowlists...). */
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    /**
     * The branding logo's bytes as the service fetched them, in base64: text reads
     * back alike on every driver (pg, PGlite, neon-http differ on bytea). Only the
     * logo route reads it; tenant lookups leave it out.
     */
    logo: text("logo"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("tenants_slug_live_key").on(t.slug).where(live),
    check("tenants_tenant_id_is_id", sql`${t.tenantId} = ${t.id}`),
    check("tenants_slug_format", sql`${t.slug} ~ '^[a-z0-9-]{1,63}$'`),
  ],
);

/**
 * A user deleted without being erased (by a release before erasure): what the
 * daily cleanup's sweep looks for (user-erasure.ts). Erasure empties email_sealed.
 */
export const deletedUnerased = sql`deleted_at IS NOT NULL AND email_sealed <> ''`;

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
    // Holds only the rows the sweep has yet to erase (normally none): it reads no other deleted user.
    index("users_deleted_unerased_idx").on(t.id).where(deletedUnerased),
  ],
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
