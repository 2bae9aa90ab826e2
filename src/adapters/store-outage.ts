/** Node's system errors of a connection refused, reset, aborted, timed out or unroutable. */
const SYSTEM_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

export interface ErrorLink {
  name?: unknown;
  message?: unknown;
  code?: unknown;
}

/** The error and those it wraps (`cause`; Neon's `sourceError`), a few deep. */
export function* errorChain(error: unknown): Generator<ErrorLink> {
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    yield current as ErrorLink;
    const { cause, sourceError } = current as { cause?: unknown; sourceError?: unknown };
    current = cause ?? sourceError;
  }
}

/**
 * A link of the chain that says the connection failed or a request was given
 * up on: a system error's code, or a fetch aborted by its timeout signal.
 */
export function isConnectionFailure(link: ErrorLink): boolean {
  if (typeof link.code === "string" && SYSTEM_CODES.has(link.code)) return true;
  return link.name === "TimeoutError";
}
