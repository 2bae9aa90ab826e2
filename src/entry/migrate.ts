import { createConsoleLogger } from "../adapters/telemetry/console-logger.js";
import { ConfigError, parseMigrationConfig } from "../config.js";
import { cryptoRandom, systemClock } from "../core/ports/clock.js";
import { TenantService } from "../core/tenants.js";
import { openNodeDatabase } from "./node-deps.js";

/**
 * `npm run migrate`: applies the committed migrations to DATABASE_URL (or the
 * embedded PGlite database when it is unset) and seeds the `default` tenant.
 * The Workers deployment runs this from a machine that can reach Postgres.
 */
const logger = createConsoleLogger();
try {
  const config = parseMigrationConfig(process.env);
  const db = await openNodeDatabase({ ...config, MIGRATE_ON_START: true }, logger);
  const seeded = await new TenantService(db, systemClock, cryptoRandom).ensureDefault();
  logger.info("migrate_done", { driver: db.driver, default_tenant_created: seeded });
  await db.close();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exit(1);
}
