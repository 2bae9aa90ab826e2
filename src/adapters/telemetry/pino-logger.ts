import { hostname } from "node:os";
import { type DestinationStream, pino } from "pino";
import { redactFields } from "../../core/logging/redaction.js";
import type { LogFields, Logger } from "../../core/ports/logger.js";
import type { LogLevel } from "./console-logger.js";

/**
 * Standard output, written asynchronously: a line goes out at once when
 * stdout is idle, and lines logged while a write is in flight leave together
 * in the next one, so under load there is one write per batch instead of one
 * synchronous write per line (which cost more CPU than a refresh's crypto).
 * Whatever is pending is written synchronously when the process exits.
 */
let stdout: ReturnType<typeof pino.destination> | undefined;

function asyncStdout(): ReturnType<typeof pino.destination> {
  if (!stdout) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 0 });
    process.on("exit", () => destination.flushSync());
    stdout = destination;
  }
  return stdout;
}

const RANK: Record<LogLevel, number> = { info: 30, warn: 40, error: 50, silent: 100 };

/**
 * The Node logger: one JSON line per event on stdout (or `destination`),
 * `{"level":"info","time":"…","pid":…,"hostname":…,"event":"…",…}`, pino's
 * line format, written through pino's asynchronous destination. Fields are
 * redacted first (the same rules as on Workers); a line is one
 * JSON.stringify of them, cheaper per request than pino's own serialiser.
 */
export function createPinoLogger(minimum: LogLevel = "info", destination?: DestinationStream): Logger {
  const out = destination ?? asyncStdout();
  const process = `"pid":${globalThis.process.pid},"hostname":${JSON.stringify(hostname())}`;
  const write = (level: "info" | "warn" | "error", event: string, fields?: LogFields) => {
    if (RANK[level] < RANK[minimum]) return;
    const redacted = redactFields(fields);
    const body = JSON.stringify(redacted);
    // A field named `event` wins, as it did in pino's `{ event, ...fields }`.
    const named = "event" in redacted ? "" : `"event":${JSON.stringify(event)}${body.length > 2 ? "," : ""}`;
    out.write(`{"level":"${level}","time":"${new Date().toISOString()}",${process},${named}${body.slice(1)}\n`);
  };
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
  };
}
