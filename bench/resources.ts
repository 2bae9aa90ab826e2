/**
 * What sessions cost in the stores, on the run's own key prefix and database:
 *   - Redis: MEMORY USAGE of every key under the prefix, by kind; per live
 *     session (a `sess` key), the bytes of the session's own keys (`sess`,
 *     and `grace` while a just-spent token's successor is kept);
 *   - Postgres: rows of `sessions` (the ledger) and of `audit_events`, and
 *     pg_total_relation_size (table, indexes, TOAST) per row of each.
 */
import { Redis } from "ioredis";
import pg from "pg";
import { scanKeys } from "../test/support/redis.js";
import type { PostgresUsage, RedisUsage } from "./results.js";
import { REDIS } from "./support.js";

const SESSION_KINDS = new Set(["sess", "grace"]);

export async function redisUsage(prefix: string): Promise<RedisUsage> {
  const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const keys = await scanKeys(redis, prefix);
    const usage: RedisUsage = { keys: 0, bytes: 0, kinds: {}, sessions: 0, bytesPerSession: 0 };
    let sessionBytes = 0;
    for (let i = 0; i < keys.length; i += 1_000) {
      const batch = keys.slice(i, i + 1_000);
      const pipeline = redis.pipeline();
      for (const key of batch) pipeline.call("MEMORY", "USAGE", key);
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, bytes], j) => {
        if (error) throw error;
        if (bytes === null) return; // expired between SCAN and MEMORY USAGE
        const kind = (batch[j] ?? "").slice(prefix.length).split(":")[0] ?? "";
        const kindUsage = usage.kinds[kind] ?? { keys: 0, bytes: 0 };
        usage.kinds[kind] = kindUsage;
        kindUsage.keys++;
        kindUsage.bytes += Number(bytes);
        usage.keys++;
        usage.bytes += Number(bytes);
        if (SESSION_KINDS.has(kind)) sessionBytes += Number(bytes);
      });
    }
    usage.sessions = usage.kinds.sess?.keys ?? 0;
    usage.bytesPerSession = usage.sessions ? sessionBytes / usage.sessions : 0;
    return usage;
  } finally {
    redis.disconnect();
  }
}

export async function postgresUsage(databaseUrl: string): Promise<PostgresUsage> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: string; bytes: string; audit_rows: string; audit_bytes: string }>(
      `SELECT (SELECT count(*) FROM sessions) AS rows, pg_total_relation_size('sessions') AS bytes,
              (SELECT count(*) FROM audit_events) AS audit_rows, pg_total_relation_size('audit_events') AS audit_bytes`,
    );
    const count = Number(rows[0]?.rows ?? 0);
    const bytes = Number(rows[0]?.bytes ?? 0);
    const auditRows = Number(rows[0]?.audit_rows ?? 0);
    const auditBytes = Number(rows[0]?.audit_bytes ?? 0);
    return {
      rows: count,
      totalBytes: bytes,
      bytesPerRow: count ? bytes / count : 0,
      auditRows,
      auditBytesPerRow: auditRows ? auditBytes / auditRows : 0,
    };
  } finally {
    await client.end();
  }
}

/** One line of a usage, for the terminal and the report. */
export function describeRedis(usage: RedisUsage): string {
  const kinds = Object.entries(usage.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, k]) => `${kind} ${k.keys}`)
    .join(", ");
  return `${usage.bytesPerSession.toFixed(0)} bytes per live session (${usage.sessions} sessions); all keys ${usage.keys} (${kinds}), ${(usage.bytes / 1024).toFixed(0)} KiB`;
}
