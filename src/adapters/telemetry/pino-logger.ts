import { hostname } from "node:os";
import { type DestinationStream, pino } from "pino";
import { redactFields } from "../../core/logging/redaction.js";
import { requestLineMembers } from "../../core/logging/request-line.js";
import type { LogFields, Logger } from "../../core/ports/logger.js";
import type { LogLevel } from "./console-logger.js";

/**
 * Standard output, written asynchronously through pino's destination. Each
 * write is a thread-pool round trip, which cost a request more CPU than
 * building its line when every line had its own: so lines wait up to
 * FLUSH_DELAY_MS (or until BATCH_CHARS are pending) and leave together, and
 * lines logged while a write is in flight leave together in the next one.
 * Whatever is pending is written synchronously when the process exits.
 */
const FLUSH_DELAY_MS = 5;
const BATCH_CHARS = 16 * 1024;

let stdout: { write(line: string): void } | undefined;

function asyncStdout(): { write(line: string): void } {
  if (!stdout) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 0 });
    let pending = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      const lines = pending;
      pending = "";
      destination.write(lines);
    };
    process.on("exit", () => {
      destination.flushSync();
      // After what the destination held, and synchronously: an async write would not finish.
      if (pending) pino.destination({ dest: 1, sync: true }).write(pending);
    });
    stdout = {
      write(line) {
        pending += line;
        if (pending.length >= BATCH_CHARS) flush();
        else timer ??= setTimeout(flush, FLUSH_DELAY_MS).unref();
      },
    };
  }
  return stdout;
}

const RANK: Record<LogLevel, number> = { info: 30, warn: 40, error: 50, silent: 100 };

/** Lines of the same millisecond share one ISO timestamp (toISOString costs a request ~1 µs). */
let lastMs = Number.NaN;
let lastIso = "";
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/**
 * The Node logger: one JSON line per event on stdout (or `destination`),
 * `{"level":"info","time":"…","pid":…,"hostname":…,"event":"…",…}`, pino's
 * line format, written through pino's asynchronous destination. Fields are
 * redacted first (the same rules as on Workers); a line is one
 * JSON.stringify of them, cheaper per request than pino's own serialiser.
 * The request line has fixed fields, written without the general walk (see
 * requestLineMembers).
 */
export function createPinoLogger(minimum: LogLevel = "info", destination?: DestinationStream): Logger {
  const out = destination ?? asyncStdout();
  const process = `"pid":${globalThis.process.pid},"hostname":${JSON.stringify(hostname())}`;
  const enabled = (level: "info" | "warn" | "error") => RANK[level] >= RANK[minimum];
  const write = (level: "info" | "warn" | "error", event: string, fields?: LogFields) => {
    if (!enabled(level)) return;
    const redacted = redactFields(fields);
    const body = JSON.stringify(redacted);
    // A field named `event` wins, as it did in pino's `{ event, ...fields }`.
    const named = "event" in redacted ? "" : `"event":${JSON.stringify(event)}${body.length > 2 ? "," : ""}`;
    out.write(`{"level":"${level}","time":"${isoNow()}",${process},${named}${body.slice(1)}\n`);
  };
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
    request: (level, line) => {
      if (!enabled(level)) return;
      out.write(`{"level":"${level}","time":"${isoNow()}",${process},"event":"request",${requestLineMembers(line)}}\n`);
    },
  };
}
