import { sql } from "drizzle-orm";
import {
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { SigningAlgorithm, SigningKeyState } from "../../../core/ports/database.js";
import { tenants, users } from "./accounts.js";
import { at, live, timestamps } from "./columns.js";

// Sessions, single revoked access tokens and the signing keys tokens are checked against.

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
