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

/**
 * The Node logger: pino, one JSON line per event on stdout (or `destination`),
 * `{"level":"info","time":"…","pid":…,"hostname":…,"event":"…",…}`. Fields
 * are redacted before pino sees them (the same rules as on Workers).
 */
export function createPinoLogger(minimum: LogLevel = "info", destination?: DestinationStream): Logger {
  const log = pino(
    {
      level: minimum,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, as the Workers lines have them, rather than pino's numbers.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? asyncStdout(),
  );
  const write = (level: "info" | "warn" | "error", event: string, fields?: LogFields) => {
    if (log.isLevelEnabled(level)) log[level]({ event, ...redactFields(fields) });
  };
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
  };
}
