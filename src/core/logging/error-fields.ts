import type { LogFields } from "../ports/logger.js";
import { capText, withoutQueryParams } from "./redaction.js";

const MAX_MESSAGE = 1024;
const MAX_STACK = 2048;

/**
 * The stack's frames. V8 starts a stack with `Name: message`, and the
 * message is logged on its own (a query error's message holds its params),
 * so only what follows it is kept.
 */
function framesOf(error: Error): string | undefined {
  if (!error.stack) return undefined;
  const head = `${error.name}: ${error.message}`;
  if (error.stack.startsWith(head)) return error.stack.slice(head.length).trimStart();
  return error.stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .join("\n");
}

/**
 * @upstash/redis (the Worker's Redis) ends a failed command's message with
 * the whole command, `…, command was: ["evalsha", …]`: its keys and
 * arguments (OAuth state, PKCE verifiers, refresh token hashes, sealed
 * sessions, API-key lookup hashes). Only Redis's error before it is kept.
 */
function withoutRedisCommand(text: string): string {
  const at = text.indexOf(", command was: ");
  return at === -1 ? text : text.slice(0, at);
}

const messageOf = (error: Error) => capText(withoutRedisCommand(withoutQueryParams(error.message)), MAX_MESSAGE);

/**
 * An unexpected error as log fields, bounded: name, message and stack frames
 * without query parameters or Redis command, and the driver's error under it
 * (its SQLSTATE says most of what went wrong), each cut to a few KiB.
 */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: typeof error, message: capText(String(error), MAX_MESSAGE) };
  const fields: LogFields = {
    error: error.name,
    message: messageOf(error),
    stack: capText(framesOf(error) ?? "", MAX_STACK),
  };
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    fields.cause = {
      error: cause.name,
      message: messageOf(cause),
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return fields;
}

/** How drizzle's error begins: its message is the query (and its parameters), the driver's error its cause. */
const QUERY_TEXT = "Failed query: ";

/**
 * An error as an operator reads it (the CLI): its message and the error at
 * the bottom of its causes (the driver's: what the database said, and its
 * code), never query parameters, a Redis command or a driver's detail (the
 * values of a violated key).
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return capText(String(error), MAX_MESSAGE);
  let root: Error = error;
  for (let depth = 0; depth < 4 && root.cause instanceof Error; depth++) root = root.cause;
  if (root === error) return messageOf(error);
  const code = (root as { code?: unknown }).code;
  const said = `${messageOf(root)}${typeof code === "string" ? ` (${code})` : ""}`;
  return error.message.startsWith(QUERY_TEXT) ? said : `${messageOf(error)}: ${said}`;
}
