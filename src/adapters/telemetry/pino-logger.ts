import { type DestinationStream, pino } from "pino";
import { redactFields } from "../../core/logging/redaction.js";
import type { LogFields, Logger } from "../../core/ports/logger.js";
import type { LogLevel } from "./console-logger.js";

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
    destination ?? pino.destination({ dest: 1, sync: true }),
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
