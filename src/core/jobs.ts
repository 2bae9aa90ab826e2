import { EMAIL_INDEX_PURPOSE } from "./accounts/accounts.js";
import { normalizeEmail } from "./accounts/email.js";
import type { Sealer } from "./crypto/sealing.js";
import type { Database, Tenant } from "./ports/database.js";
import type { Logger } from "./ports/logger.js";
import type { KeyRingService } from "./signing/key-ring.js";
import { resealPrivateKey } from "./signing/keys.js";

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
export async function purgeEndedSessions(
  db: Database,
  now: Date,
  retentionMs: number,
  logger: Logger,
): Promise<number> {
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

/**
 * The daily cleanup: ledger rows of ended sessions, audit events past their
 * retention, expired mailed tokens and expired revoked access tokens.
 */
export async function dailyCleanup(
  db: Database,
  now: Date,
  retention: { sessions: number; auditEvents: number },
  logger: Logger,
): Promise<{ sessions: number; auditEvents: number; accountTokens: number; revokedAccessTokens: number }> {
  const accountTokens = await db.accountTokens.purgeExpired(now);
  logger.info("account_tokens_purged", { purged: accountTokens });
  const revokedAccessTokens = await db.revokedAccessTokens.purgeExpired(now);
  logger.info("revoked_access_tokens_purged", { purged: revokedAccessTokens });
  return {
    sessions: await purgeEndedSessions(db, now, retention.sessions, logger),
    auditEvents: await purgeAuditEvents(db, now, retention.auditEvents, logger),
    accountTokens,
    revokedAccessTokens,
  };
}

/**
 * Re-encryption after a new key-encryption key is put first in
 * ENCRYPTION_KEYS: reseals every sealed column and recomputes email indexes
 * under the current key, row by row, while the service keeps running (old
 * keys keep opening rows not yet done). Rows changed meanwhile are skipped
 * and counted; run it again until it reports none.
 */
export async function reencryptAll(
  db: Database,
  sealer: Sealer,
  logger: Logger,
): Promise<{ users: number; signingKeys: number; skipped: number }> {
  const done = { users: 0, signingKeys: 0, skipped: 0 };
  for (let after: string | null = null; ; ) {
    const page = await db.users.page(after, PAGE);
    for (const user of page) {
      const stale =
        sealer.needsReseal(user.emailSealed) ||
        (user.nameSealed !== null && sealer.needsReseal(user.nameSealed)) ||
        sealer.needsReindex(user.emailIndex);
      if (!stale) continue;
      const emailContext = `users.email:${user.tenantId}:${user.id}`;
      const nameContext = `users.name:${user.tenantId}:${user.id}`;
      const email = await sealer.open(user.emailSealed, emailContext);
      const name = user.nameSealed ? await sealer.open(user.nameSealed, nameContext) : null;
      const changed = await db.users.reseal(user, {
        emailIndex: await sealer.blindIndex(
          normalizeEmail(email)?.lookupKey ?? email.toLowerCase(),
          EMAIL_INDEX_PURPOSE,
        ),
        emailSealed: await sealer.seal(email, emailContext),
        nameSealed: name === null ? null : await sealer.seal(name, nameContext),
      });
      if (changed) done.users++;
      else done.skipped++;
    }
    if (page.length < PAGE) break;
    after = page.at(-1)?.id ?? null;
  }
  for (let after: string | null = null; ; ) {
    const page = await db.signingKeys.page(after, PAGE);
    for (const key of page) {
      if (!sealer.needsReseal(key.privateKeySealed)) continue;
      await db.signingKeys.reseal(key.id, await resealPrivateKey(key, sealer));
      done.signingKeys++;
    }
    if (page.length < PAGE) break;
    after = page.at(-1)?.id ?? null;
  }
  logger.info("reencryption_done", done);
  return done;
}
