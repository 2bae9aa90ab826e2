import { saltEarlierHash } from "./mfa/recovery-codes.js";
import type { Database, Tenant } from "./ports/database.js";
import type { Logger } from "./ports/logger.js";
import type { KeyRingService } from "./signing/key-ring.js";

const PAGE = 200;

/** Visits every live tenant, a page at a time. */
export async function forEachTenant(db: Database, visit: (tenant: Tenant) => Promise<void>): Promise<void> {
  for (let after: string | null = null; ; ) {
    const page = await db.tenants.page(after, PAGE);
    for (const tenant of page) await visit(tenant);
    if (page.length < PAGE) return;
    after = page.at(-1)?.id ?? null;
  }
}

/**
 * The scheduled signing-key job (Workers cron trigger; Node interval and the
 * `rotate-keys` command): rotates each tenant whose key is due. Replicas may
 * run it at once; a rotation only happens from the ring its caller read.
 */
export async function rotateDueKeys(db: Database, keyRing: KeyRingService, logger: Logger): Promise<number> {
  let rotated = 0;
  await forEachTenant(db, async (tenant) => {
    try {
      if (await keyRing.rotateIfDue(tenant)) rotated++;
    } catch (error) {
      logger.error("key_rotation_failed", { tenant_id: tenant.id, message: (error as Error).message });
    }
  });
  if (rotated > 0) logger.info("scheduled_key_rotation", { rotated });
  return rotated;
}

const PURGE_BATCH = 1_000;
/** A run deletes at most this many batches; the next run goes on. */
const PURGE_MAX_BATCHES = 200;

/**
 * The cleanup job (Workers cron trigger; Node daily interval and the `cleanup`
 * command): deletes the ledger rows of sessions that ended (expired, revoked
 * or deleted) more than `retentionMs` ago, in batches. Kept until then for
 * audit; nothing reads them (Redis re-seeding only needs live sessions, the
 * blocklist only sessions whose access tokens can still be valid).
 */
async function purgeEndedSessions(db: Database, now: Date, retentionMs: number, logger: Logger): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionMs);
  let purged = 0;
  for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
    const deleted = await db.sessions.purgeEndedBefore(cutoff, PURGE_BATCH);
    purged += deleted;
    if (deleted < PURGE_BATCH) break;
  }
  logger.info("ended_sessions_purged", { purged, ended_before: cutoff.toISOString() });
  return purged;
}

/** Deletes audit events older than the retention (the daily cleanup's second half). */
async function purgeAuditEvents(db: Database, now: Date, retentionMs: number, logger: Logger): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionMs);
  const purged = await db.auditEvents.purgeBefore(cutoff);
  logger.info("audit_events_purged", { purged, before: cutoff.toISOString() });
  return purged;
}

const ERASE_BATCH = 100;

/**
 * Erases the users an earlier release deleted without erasing them (during a
 * rolling upgrade, after migration 0016 ran, or after a rollback), in batches.
 */
async function eraseDeletedUsers(db: Database, now: Date, logger: Logger): Promise<number> {
  let erased = 0;
  for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
    const done = await db.users.eraseDeletedUnerased(ERASE_BATCH, now);
    erased += done;
    if (done < ERASE_BATCH) break;
  }
  logger.info("deleted_users_erased", { erased });
  return erased;
}

/**
 * Deletes the TOTP enrollments an earlier release abandoned by soft-deleting
 * them (a new enrollment, or a removal, before a first code), secrets and all, in batches.
 */
async function purgeAbandonedTotp(db: Database, logger: Logger): Promise<number> {
  let purged = 0;
  for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
    const deleted = await db.totp.purgeAbandoned(PURGE_BATCH);
    purged += deleted;
    if (deleted < PURGE_BATCH) break;
  }
  logger.info("abandoned_totp_purged", { purged });
  return purged;
}

/**
 * Salts the recovery codes an earlier release stored as a bare SHA-256 (its
 * replicas during a rolling upgrade, after migration 0019 ran, or after a
 * rollback), in batches; the codes keep working.
 */
async function saltEarlierRecoveryCodes(db: Database, logger: Logger): Promise<number> {
  let salted = 0;
  for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
    const rows = await db.recoveryCodes.listUnsalted(PURGE_BATCH);
    for (const { tenantId, userId, codeHash } of rows) {
      const to = await saltEarlierHash(tenantId, userId, codeHash);
      if (await db.recoveryCodes.rehash(tenantId, userId, codeHash, to)) salted++;
    }
    if (rows.length < PURGE_BATCH) break;
  }
  logger.info("recovery_codes_salted", { salted });
  return salted;
}

/**
 * The daily cleanup: users deleted but not erased, abandoned TOTP
 * enrollments, recovery codes stored unsalted, ledger rows of ended sessions,
 * audit events past their retention, expired mailed tokens and expired
 * revoked access tokens.
 */
export async function dailyCleanup(
  db: Database,
  now: Date,
  retention: { sessions: number; auditEvents: number },
  logger: Logger,
): Promise<{
  erasedUsers: number;
  abandonedTotp: number;
  saltedRecoveryCodes: number;
  sessions: number;
  auditEvents: number;
  accountTokens: number;
  revokedAccessTokens: number;
}> {
  const erasedUsers = await eraseDeletedUsers(db, now, logger);
  const abandonedTotp = await purgeAbandonedTotp(db, logger);
  const saltedRecoveryCodes = await saltEarlierRecoveryCodes(db, logger);
  const accountTokens = await db.accountTokens.purgeExpired(now);
  logger.info("account_tokens_purged", { purged: accountTokens });
  const revokedAccessTokens = await db.revokedAccessTokens.purgeExpired(now);
  logger.info("revoked_access_tokens_purged", { purged: revokedAccessTokens });
  return {
    erasedUsers,
    abandonedTotp,
    saltedRecoveryCodes,
    sessions: await purgeEndedSessions(db, now, retention.sessions, logger),
    auditEvents: await purgeAuditEvents(db, now, retention.auditEvents, logger),
    accountTokens,
    revokedAccessTokens,
  };
}
