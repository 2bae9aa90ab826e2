import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { Database, Tenant } from "../../src/core/ports/database.js";
import { noopMetrics } from "../../src/core/ports/telemetry.js";
import { KeyRingService } from "../../src/core/signing/key-ring.js";
import { TenantService } from "../../src/core/tenants.js";
import { AccessTokens } from "../../src/core/tokens/access-token.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";

/** A clock tests move by hand. */
export function pinnedClock(start = Date.UTC(2026, 5, 1, 12)) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

export const RING_OPTIONS = {
  cacheMs: 30_000,
  jwksMaxAgeMs: 300_000,
  rotationIntervalMs: 30 * 86_400_000,
  clockSkewMs: 60_000,
};

/** Key ring and token services on a real database of the test file's own, with a pinned clock. */
export async function startKeyRing() {
  const database: TestDatabase = await createTestDatabase();
  const db: Database = createPgDatabase(database.url, { max: 4 });
  const clock = pinnedClock();
  const deps = {
    sealer: await Sealer.create([{ id: "k1", key: crypto.getRandomValues(new Uint8Array(32)) }], cryptoRandom),
    random: cryptoRandom,
    clock,
    logger: silentLogger,
    metrics: noopMetrics,
  };
  const keyRing = new KeyRingService(db, deps, RING_OPTIONS);
  const tokens = new AccessTokens(keyRing, deps, "https://auth.test");
  const tenants = new TenantService(db, clock, cryptoRandom);
  return {
    db,
    url: database.url,
    deps,
    clock,
    keyRing,
    tokens,
    tenant: (slug: string, settings: Record<string, unknown> = {}): Promise<Tenant> =>
      tenants.create(slug, slug, settings),
    close: async () => {
      await db.close();
      await database.drop();
    },
  };
}
