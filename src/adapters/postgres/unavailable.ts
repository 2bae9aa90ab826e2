import { StoreUnavailableError } from "../../core/errors.js";
import type { Database } from "../../core/ports/database.js";
import { errorChain, isConnectionFailure } from "../store-outage.js";

/**
 * SQLSTATEs of a server that cannot take the query now: connection exceptions
 * (class 08), too_many_connections, a statement cancelled by statement_timeout
 * (57014), and a server shutting down, crashed or still starting (57P01-57P03).
 */
const UNAVAILABLE_STATES = /^(08[0-9A-Z]{3}|53300|57014|57P0[123])$/;

/**
 * What pg, pg-pool and Neon's HTTP driver say, without a code, when the
 * connection is gone or timed out (a pool wait, a query's client-side timeout,
 * a fetch that failed, a 5xx or 429 from Neon's proxy).
 */
const UNAVAILABLE_MESSAGES =
  /^(timeout exceeded when trying to connect|Query read timeout|Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|Error connecting to database|Server error \(HTTP status (5\d\d|429)\))/;

/** Whether a failed query means Postgres is unreachable or cannot take it now (not a bug, not bad data). */
export function isPostgresUnavailable(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (isConnectionFailure(link)) return true;
    if (typeof link.code === "string" && UNAVAILABLE_STATES.test(link.code)) return true;
    if (typeof link.message === "string" && UNAVAILABLE_MESSAGES.test(link.message)) return true;
    // Neon's driver reading an answer that is not JSON (a gateway's page, a cut-off body).
    if (link.name === "SyntaxError") return true;
  }
  return false;
}

function rethrow(error: unknown): never {
  throw isPostgresUnavailable(error) ? new StoreUnavailableError("postgres", error) : error;
}

/** `method` of `self`, raising the core's StoreUnavailableError for an outage and other errors as they are. */
function guardedCall(self: object, method: (...args: unknown[]) => unknown) {
  return (...args: unknown[]) => (method.apply(self, args) as Promise<unknown>).catch(rethrow);
}

function guarded<T extends object>(repository: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    out[name] = typeof member === "function" ? guardedCall(repository, member) : member;
  }
  return out as T;
}

/** Every repository of `db` (and its ping) guarded; the driver's name and close as they are. */
export function guardDatabase(db: Database): Database {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(db)) {
    if (typeof member === "object" && member !== null) out[name] = guarded(member);
    else if (typeof member === "function" && name !== "close") out[name] = guardedCall(db, member);
    else out[name] = member;
  }
  return out as unknown as Database;
}
