import type { LogFields, Logger } from "../../core/ports/logger.js";

/** JSON lines through `console`: what Workers Logs and container log shippers read. */
export function createConsoleLogger(clock: { now(): Date } = { now: () => new Date() }): Logger {
  const write = (level: "info" | "warn" | "error", event: string, fields: LogFields = {}) => {
    const line = JSON.stringify({ time: clock.now().toISOString(), level, event, ...fields });
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
