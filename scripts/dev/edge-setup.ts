// What `npm run dev:edge` prepares before the Worker starts: its settings from the environment,
// the development database (created when missing, migrated by the migrate entry) and the env file
// wrangler dev reads the Worker's variables from.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface EdgeSettings {
  /** The Worker's port on 127.0.0.1. */
  port: number;
  publicUrl: string;
  /** The real Postgres database, as the Worker names it (the bridge serves it). */
  databaseUrl: URL;
  redisUrl: string;
  redisKeyPrefix: string;
  /** 0: a free port. */
  neonBridgePort: number;
  upstashBridgePort: number;
  dataDir: string;
}

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/authority_dev";

/** A problem the person running the command can fix: printed alone, without a stack. */
export class SetupError extends Error {}

function portOf(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const text = env[name] ?? String(fallback);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new SetupError(`${name} must be a port number (0 to 65535)`);
  return port;
}

function urlOf(env: Record<string, string | undefined>, name: string, fallback: string, protocols: string[]): URL {
  const text = env[name] || fallback;
  if (!URL.canParse(text) || !protocols.includes(new URL(text).protocol)) {
    throw new SetupError(`${name} must be a ${protocols.join(" or ")} URL`);
  }
  return new URL(text);
}

export function edgeSettings(env: Record<string, string | undefined>): EdgeSettings {
  const port = portOf(env, "PORT", 8787);
  if (port === 0) throw new SetupError("PORT must name a port: the Worker's URL is printed and used as PUBLIC_URL");
  const databaseUrl = urlOf(env, "DATABASE_URL", DEFAULT_DATABASE_URL, ["postgres:", "postgresql:"]);
  if (!databaseUrl.pathname.slice(1)) throw new SetupError("DATABASE_URL must name a database");
  // Neon's driver wants a user in the connection string; a local server's usual superuser when none is named.
  if (!databaseUrl.username) databaseUrl.username = "postgres";
  return {
    port,
    publicUrl: urlOf(env, "PUBLIC_URL", `http://localhost:${port}`, ["http:", "https:"]).origin,
    databaseUrl,
    redisUrl: urlOf(env, "REDIS_URL", "redis://127.0.0.1:6379", ["redis:", "rediss:"]).toString(),
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? "dev-edge:",
    neonBridgePort: portOf(env, "NEON_BRIDGE_PORT", 0),
    upstashBridgePort: portOf(env, "UPSTASH_BRIDGE_PORT", 0),
    dataDir: env.DATA_DIR || "./data",
  };
}

/** The URL without its password, for messages. */
export function shown(url: URL | string): string {
  const copy = new URL(url);
  if (copy.password) copy.password = "***";
  return copy.toString();
}

/** Creates the database when the server lacks it; resolves whether it did. */
export async function ensureDatabase(databaseUrl: URL): Promise<boolean> {
  const name = decodeURIComponent(databaseUrl.pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new SetupError(
      `PostgreSQL does not answer at ${databaseUrl.host} (${(error as Error).message}). ` +
        "Start it, or point DATABASE_URL at one (docs/development/edge.md).",
    );
  }
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

/** Applies the migrations with the migrate entry (bundled beside this script) and seeds the default tenant. */
export async function migrate(migrateEntry: string, databaseUrl: URL): Promise<void> {
  if (!existsSync(migrateEntry)) throw new SetupError(`${migrateEntry} is missing: start this with npm run dev:edge`);
  const child = spawn(process.execPath, [migrateEntry], {
    env: { PATH: process.env.PATH ?? "", APP_ENV: "development", DATABASE_URL: databaseUrl.toString() },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new SetupError(`the migrations failed (exit code ${code}); see above`);
}

/**
 * The Worker's settings the command's environment passes on as they are, when
 * set: the log level, and the mail settings (docs/configuration.md), so mail
 * can leave through Postmark or a local stand-in at POSTMARK_API_URL instead
 * of the log.
 */
const PASSED_ON = ["LOG_LEVEL", "POSTMARK_SERVER_TOKEN", "POSTMARK_API_URL", "MAIL_FROM"] as const;

export function passedOn(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(PASSED_ON.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}

/**
 * The Worker's variables, for `wrangler dev --env-file` (which then skips .dev.vars): a file of
 * this user's only (it holds the secrets), in a directory of its own the caller removes.
 */
export function writeEnvFile(variables: Record<string, string>): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "authority-dev-edge-"));
  const file = join(dir, "worker.env");
  const lines = Object.entries(variables).map(([name, value]) => {
    // Single quotes: dotenv takes the value literally.
    if (/['\r\n]/.test(value)) throw new SetupError(`${name} must not contain a quote or a line break`);
    return `${name}='${value}'`;
  });
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return { dir, file };
}
