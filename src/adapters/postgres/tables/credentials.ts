import { sql } from "drizzle-orm";
import { check, foreignKey, index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { AccountTokenPurpose } from "../../../core/ports/database.js";
import { tenants, users } from "./accounts.js";
import { at, live, timestamps } from "./columns.js";

// API keys and the single-use tokens of mailed links.

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
