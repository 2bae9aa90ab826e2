import { createConsoleLogger } from "../adapters/telemetry/console-logger.js";
import { createPinoLogger } from "../adapters/telemetry/pino-logger.js";
import { type Config, ConfigError, loadConfig } from "../config.js";
import { AppError } from "../core/errors.js";
import { dailyCleanup, rotateDueKeys } from "../core/jobs.js";
import { encryptionKeysProblem } from "../core/key-check.js";
import { errorText } from "../core/logging/error-fields.js";
import { reencryptAll } from "../core/reencryption.js";
import { buildServices } from "../http/services.js";
import { ADMIN_COMMANDS, prepareCommand, UsageError } from "./cli-commands.js";
import {
  isJob,
  JOB_USAGE,
  type Job,
  type JobOptions,
  jobOptions,
  revokeAllSessions,
  rotateKeysNow,
} from "./cli-jobs.js";
import { fillDevSecrets } from "./dev-secrets.js";
import { openNodeDeps } from "./node-deps.js";
import type { Operator } from "./operator.js";
import { openDirectOperator } from "./operator-direct.js";
import { httpOperator } from "./operator-http.js";
import { embeddedServer } from "./server-record.js";

/**
 * Operator commands (`node dist/node/cli.js <command>`; also a Kubernetes CronJob):
 *   rotate-keys   rotate every tenant's signing keys that are due (the scheduled job);
 *                 with --force, rotate now whether due or not (after a restore, a leak)
 *   reencrypt     reseal every sealed column under the first key of ENCRYPTION_KEYS (docs/operations.md)
 *   cleanup       delete the ledger rows of sessions that ended more than SESSION_RETENTION ago
 *   revoke-all-sessions  end every session (and with --include-api-keys every API key)
 *                 of a tenant or all: what a restored backup brought back (docs/operations.md)
 * (cli-jobs.ts), and the administration of users and service keys (cli-commands.ts), which
 * goes through the running server when it owns the embedded database and store.
 */
const USAGE = [
  "usage: cli.js rotate-keys | reencrypt | cleanup",
  ...[JOB_USAGE["rotate-keys"], JOB_USAGE["revoke-all-sessions"]].map((usage) => `       cli.js ${usage}`),
  ...Object.values(ADMIN_COMMANDS).map((command) => `       cli.js ${command.usage}`),
  "       cli.js help [command]   (or --help, -h)",
].join("\n");

/** What asks for help: `--help` or `-h` anywhere, or the command `help`. */
const HELP_FLAGS = ["--help", "-h"];

/** One command's usage line; undefined for no such command. */
function usageOf(command: string): string | undefined {
  if (isJob(command)) return `usage: cli.js ${JOB_USAGE[command]}`;
  const admin = ADMIN_COMMANDS[command];
  return admin && `usage: cli.js ${admin.usage}`;
}

/**
 * Help, on stdout with exit 0 (it is the answer asked for), before any
 * configuration is read: `help`, `--help` or `-h` print every command's
 * usage; `help C` or `C --help` that command's. An unknown C is a usage error.
 */
function help(command: string | undefined): number {
  const usage = command === undefined ? USAGE : usageOf(command);
  if (usage === undefined) throw new UsageError(`unknown command "${command}"`);
  console.log(usage);
  return 0;
}

async function main([command, ...args]: string[]): Promise<number> {
  if (command === "help") {
    if (args.length > 1) throw new UsageError("help takes at most one command");
    return help(args[0]);
  }
  if (command !== undefined && HELP_FLAGS.includes(command)) return help(undefined);
  if (command !== undefined && args.some((arg) => HELP_FLAGS.includes(arg))) return help(command);
  const admin = command === undefined ? undefined : ADMIN_COMMANDS[command];
  if (admin) {
    const task = prepareCommand(admin, args);
    fillDevSecrets(process.env);
    const config = loadConfig(process.env, "node");
    const operator = await openOperator(config);
    try {
      await task(operator);
    } finally {
      await operator.close();
    }
    return 0;
  }
  if (!isJob(command)) {
    console.error(USAGE);
    return 2;
  }
  return runJob(command, jobOptions(command, args));
}

/** Through the server recorded in DATA_DIR if one runs (see server-record.ts), else on the services directly. */
async function openOperator(config: Config): Promise<Operator> {
  const server = embeddedServer(config);
  // Log lines go to stderr: stdout carries only the answer (a key, a password, the table).
  const operator = server
    ? httpOperator(server, config.BOOTSTRAP_ADMIN_KEY)
    : await openDirectOperator(config, createPinoLogger(config.LOG_LEVEL, process.stderr));
  console.error(`(through ${operator.via})`);
  return operator;
}

async function runJob(job: Job, options: JobOptions): Promise<number> {
  const logger = createConsoleLogger();
  fillDevSecrets(process.env);
  const config = loadConfig(process.env, "node");
  const server = embeddedServer(config);
  if (server) {
    // Its PGlite files must not be opened by a second process; that server runs the scheduled jobs itself.
    const scheduled = (job === "rotate-keys" && !options.force) || job === "cleanup";
    const advice = scheduled ? `it runs ${job} itself` : `stop it to run ${job}`;
    console.error(`A server (pid ${server.pid}) runs on DATA_DIR ${config.DATA_DIR}: ${advice}.`);
    return 1;
  }
  const deps = await openNodeDeps(config, logger);
  try {
    // cleanup and revoke-all-sessions open nothing sealed; reencrypt goes on past what it cannot open, and is told why first.
    const opensNothing = job === "cleanup" || job === "revoke-all-sessions";
    const keysProblem = opensNothing ? undefined : await encryptionKeysProblem(deps.db, deps.sealer, logger);
    if (keysProblem) console.error(keysProblem);
    if (keysProblem && job === "rotate-keys") return 1;
    if (job === "cleanup") {
      const retention = { sessions: config.SESSION_RETENTION, auditEvents: config.AUDIT_RETENTION };
      const purged = await dailyCleanup(deps.db, deps.clock.now(), retention, logger);
      console.log(
        `erased ${purged.erasedUsers} deleted user(s); purged ${purged.sessions} ended session(s), ${purged.auditEvents} audit event(s), ` +
          `${purged.accountTokens} expired mailed token(s) and ${purged.revokedAccessTokens} expired revoked ` +
          `access token(s); deleted ${purged.abandonedTotp} abandoned TOTP enrollment(s); salted ${purged.saltedRecoveryCodes} ` +
          "recovery code(s) an earlier release stored",
      );
    } else if (job === "revoke-all-sessions" || (job === "rotate-keys" && options.force)) {
      const services = buildServices(deps);
      try {
        await (job === "rotate-keys" ? rotateKeysNow : revokeAllSessions)(deps, services, options);
      } finally {
        // Their audit entries are written in the background: before the database closes.
        await services.background.drain();
      }
    } else if (job === "rotate-keys") {
      const services = buildServices(deps);
      const rotated = await rotateDueKeys(deps.db, services.keyRing, logger);
      // The rotations' audit entries are written in the background: before the database closes.
      await services.background.drain();
      console.log(`rotated the keys of ${rotated} tenant(s)`);
    } else {
      const done = await reencryptAll(deps.db, deps.sealer, logger, deps.clock.now());
      console.log(
        `resealed ${done.users} user(s), ${done.signingKeys} signing key(s), ${done.totpSecrets} TOTP secret(s), ` +
          `${done.oauthProviders} OAuth provider secret(s), ${done.samlConnections} SAML SP key(s), ` +
          `${done.identityProfiles} identity profile(s) and ${done.accountTokens} mailed token(s); ` +
          `${done.skipped} skipped (changed meanwhile: run again), ` +
          `${done.unreadable} unreadable (no configured key opens them: see the log), ` +
          `${done.duplicates} duplicate(s) (two accounts of one address: see the log)`,
      );
      // Sealed under a key no longer listed (put it back), or an address two accounts hold (keep one): not done.
      if (done.unreadable > 0 || done.duplicates > 0) return 1;
    }
    return 0;
  } finally {
    deps.mailer?.close?.();
    await Promise.allSettled([deps.db.close(), deps.kv.close()]);
  }
}

/** A failure as the operator reads it: one message, never a stack trace. */
function report(error: unknown): number {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (error instanceof ConfigError) {
    console.error(error.message);
    return 1;
  }
  if (error instanceof AppError) {
    const fields = (error.extra.errors as { path: string; message: string }[] | undefined) ?? [];
    console.error([`${error.detail}`, ...fields.map((field) => `  ${field.path}: ${field.message}`)].join("\n"));
    // A 400 answers what the operator typed (an address, a scope, a date).
    return error.status === 400 ? 2 : 1;
  }
  // Never a failed query's parameters (a drizzle error's message holds them: sealed values, indexes).
  console.error(`Failed: ${errorText(error)}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(report(error)),
);
