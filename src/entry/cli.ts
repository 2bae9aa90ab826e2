import { createConsoleLogger } from "../adapters/telemetry/console-logger.js";
import { ConfigError, loadConfig } from "../config.js";
import { dailyCleanup, reencryptAll, rotateDueKeys } from "../core/jobs.js";
import { buildServices } from "../http/services.js";
import { fillDevSecrets } from "./dev-secrets.js";
import { openNodeDeps } from "./node-deps.js";

/**
 * Operator commands (`node dist/node/cli.js <command>`; also a Kubernetes CronJob):
 *   rotate-keys   rotate every tenant's signing keys that are due (the scheduled job)
 *   reencrypt     reseal every sealed column under the first key of ENCRYPTION_KEYS
 *   cleanup       delete the ledger rows of sessions that ended more than SESSION_RETENTION ago
 */
const COMMANDS = ["rotate-keys", "reencrypt", "cleanup"] as const;
const USAGE = `usage: cli.js ${COMMANDS.join(" | ")}`;
const logger = createConsoleLogger();

async function main(command: string | undefined): Promise<number> {
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number])) {
    console.error(USAGE);
    return 2;
  }
  fillDevSecrets(process.env);
  const deps = await openNodeDeps(loadConfig(process.env, "node"), logger);
  try {
    if (command === "cleanup") {
      const { config } = deps;
      const retention = { sessions: config.SESSION_RETENTION, auditEvents: config.AUDIT_RETENTION };
      const purged = await dailyCleanup(deps.db, deps.clock.now(), retention, logger);
      console.log(`purged ${purged.sessions} ended session(s) and ${purged.auditEvents} audit event(s)`);
    } else if (command === "rotate-keys") {
      const rotated = await rotateDueKeys(deps.db, buildServices(deps).keyRing, logger);
      console.log(`rotated the keys of ${rotated} tenant(s)`);
    } else {
      const done = await reencryptAll(deps.db, deps.sealer, logger);
      console.log(
        `resealed ${done.users} user(s) and ${done.signingKeys} signing key(s); ${done.skipped} changed meanwhile (run again)`,
      );
    }
    return 0;
  } finally {
    await Promise.allSettled([deps.db.close(), deps.kv.close()]);
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `Failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
