import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  foreignKey,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { PasskeyTransport } from "../../../core/ports/database.js";
import { tenants, users } from "./accounts.js";
import { at, live, timestamps } from "./columns.js";

// Second factors: TOTP authenticators, recovery codes and passkeys.

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
 * A user's recovery codes, only a salted SHA-256 (src/core/mfa/recovery-codes.ts):
 * one generation of 10 at a time (regenerating deletes the previous), each
 * spent once (used_at). A value without a format prefix is an earlier
 * release's bare SHA-256, which the daily cleanup salts (the partial index).
 */
/** An earlier release's value: a bare hex SHA-256 has no `:`. */
export const unsaltedRecoveryCode = sql`code_hash NOT LIKE '%:%'`;

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
    index("mfa_recovery_codes_unsalted_idx").on(t.tenantId).where(unsaltedRecoveryCode),
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
