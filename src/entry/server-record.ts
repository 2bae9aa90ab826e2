import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.js";

/** What a Node server on embedded parts leaves in DATA_DIR while it runs. */
export interface ServerRecord {
  pid: number;
  /** Where a process on the same host reaches it. */
  url: string;
}

const recordPath = (dataDir: string) => join(dataDir, "server.json");

/**
 * A server using PGlite or the in-process store owns state no other process
 * may touch: PGlite's files must never be opened by two processes, and
 * sessions live in the server's memory. It says so in `DATA_DIR/server.json`
 * (written before the database opens, removed at exit) so `cli.js` goes
 * through its HTTP API instead.
 */
export function recordServer(config: Pick<Config, "DATABASE_URL" | "REDIS_URL" | "DATA_DIR" | "HOST" | "PORT">): void {
  if (!embedded(config)) return;
  mkdirSync(config.DATA_DIR, { recursive: true });
  const file = recordPath(config.DATA_DIR);
  const record: ServerRecord = { pid: process.pid, url: `http://${localHost(config.HOST)}:${config.PORT}` };
  const text = `${JSON.stringify(record)}\n`;
  // Created exclusively, so a second server on this DATA_DIR learns of the first instead of
  // opening PGlite's files beside it; a record whose process is gone is replaced.
  if (!create(file, text)) {
    const owner = runningServer(config.DATA_DIR);
    if (owner) {
      throw new Error(
        `DATA_DIR ${config.DATA_DIR} belongs to the server at ${owner.url} (pid ${owner.pid}), which runs on its ` +
          "embedded database and store; stop it, or start this one with another DATA_DIR.",
      );
    }
    unlinkSync(file);
    if (!create(file, text)) throw new Error(`Another server claimed DATA_DIR ${config.DATA_DIR} just now.`);
  }
  process.on("exit", () => {
    if (runningServer(config.DATA_DIR)?.pid === process.pid) unlinkSync(file);
  });
}

/** Creates the file, unless it exists already: false then. */
function create(file: string, text: string): boolean {
  try {
    writeFileSync(file, text, { mode: 0o600, flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** PGlite (no DATABASE_URL) or the in-process store (no REDIS_URL). */
const embedded = (config: Pick<Config, "DATABASE_URL" | "REDIS_URL">) => !(config.DATABASE_URL && config.REDIS_URL);

/**
 * The server that owns the embedded parts this configuration would open
 * (those in its DATA_DIR), if it runs; a stale record (its process gone) is
 * ignored. Null on Postgres and Redis: there any process may open them.
 */
export function embeddedServer(config: Pick<Config, "DATABASE_URL" | "REDIS_URL" | "DATA_DIR">): ServerRecord | null {
  return embedded(config) ? runningServer(config.DATA_DIR) : null;
}

function runningServer(dataDir: string): ServerRecord | null {
  let record: ServerRecord;
  try {
    record = JSON.parse(readFileSync(recordPath(dataDir), "utf8")) as ServerRecord;
  } catch {
    return null;
  }
  if (!Number.isInteger(record.pid) || record.pid <= 0 || typeof record.url !== "string") return null;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  return record;
}

/** A wildcard listener is reached on loopback. */
function localHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
