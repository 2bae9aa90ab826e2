import { redactFields } from "../../core/logging/redaction.js";
import type { LogFields, Logger } from "../../core/ports/logger.js";

export type LogLevel = "info" | "warn" | "error" | "silent";
const RANK: Record<LogLevel, number> = { info: 30, warn: 40, error: 50, silent: 100 };

/**
 * JSON lines through `console`: what Workers Logs (and Logpush) read. The
 * same shape as the Node logger's lines (time, level, event, fields), with
 * the same redaction.
 */
export function createConsoleLogger(
  clock: { now(): Date } = { now: () => new Date() },
  minimum: LogLevel = "info",
): Logger {
  const write = (level: "info" | "warn" | "error", event: string, fields?: LogFields) => {
    if (RANK[level] < RANK[minimum]) return;
    const line = JSON.stringify({ time: clock.now().toISOString(), level, event, ...redactFields(fields) });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
  };
}

/** Discards everything: for tests that do not inspect logs. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
