/** Structured logging: one JSON object per event. Values must never be secrets. */
export type LogFields = Record<string, unknown>;

/** The one line per request (see requestTelemetry): fixed names, each value an id, pattern, number or name. */
export type RequestLine = {
  request_id?: string;
  trace_id?: string;
  method: string;
  route: string;
  status: number;
  duration_ms: number;
  tenant?: string;
  user_id?: string;
  session_id?: string;
};

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /**
   * The `request` event with its fixed fields. Optional: a logger without it
   * gets `info`/`error("request", line)`; one with it may skip the general
   * redaction walk (see requestLineMembers), the per-request saving.
   */
  request?(level: "info" | "warn" | "error", line: RequestLine): void;
}

/** Writes a request line through `logger.request` when it has one, else as its `request` event. */
export function logRequest(logger: Logger, level: "info" | "warn" | "error", line: RequestLine): void {
  if (logger.request) logger.request(level, line);
  else logger[level]("request", line);
}
