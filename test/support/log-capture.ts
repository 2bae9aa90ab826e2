import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { createPinoLogger } from "../../src/adapters/telemetry/pino-logger.js";
import { type Logger, logRequest } from "../../src/core/ports/logger.js";

/**
 * Log capture for the redaction scan (test/scan/log-redaction.scan.ts): when
 * `npm test` sets LOG_CAPTURE_DIR, every test app logs through the real Node
 * logger (pino, with its redaction) into that folder, and the Worker and
 * built-server harnesses append what their processes printed. Without it
 * (a single file run by hand) apps log nowhere.
 */
const DIR = process.env.LOG_CAPTURE_DIR;

let shared: Logger | undefined;

/** The logger test apps get by default: the production pipeline, writing to the capture folder. */
export function capturingLogger(): Logger {
  if (!DIR) return silentLogger;
  if (!shared) {
    mkdirSync(DIR, { recursive: true });
    const destination = pino.destination({ dest: join(DIR, `app-${process.pid}.log`), sync: true, append: true });
    shared = createPinoLogger("info", destination);
  }
  return shared;
}

/** Appends lines a runtime printed (`worker`, `node`) to the capture folder. */
export function captureOutput(kind: "worker" | "node", lines: string[] | string): void {
  if (!DIR) return;
  const text = Array.isArray(lines) ? lines.join("\n") : lines;
  if (text.trim() === "") return;
  mkdirSync(DIR, { recursive: true });
  appendFileSync(join(DIR, `${kind}-${process.pid}.log`), text.endsWith("\n") ? text : `${text}\n`);
}

/** A test's own recording logger that also writes to the capture, so the scan sees those lines too. */
export function alsoCaptured(logger: Logger): Logger {
  const capture = capturingLogger();
  if (capture === silentLogger) return logger;
  const both =
    (level: "info" | "warn" | "error"): Logger["info"] =>
    (event, fields) => {
      logger[level](event, fields);
      capture[level](event, fields);
    };
  // The request line too, by the test's own `request` when it has one (as the app would call it).
  const request: Logger["request"] = logger.request
    ? (level, line) => {
        logger.request?.(level, line);
        logRequest(capture, level, line);
      }
    : undefined;
  return { info: both("info"), warn: both("warn"), error: both("error"), ...(request ? { request } : {}) };
}
