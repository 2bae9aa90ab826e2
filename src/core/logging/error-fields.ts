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
 * An unexpected error as log fields, bounded: name, message and stack frames
 * without query parameters, and the driver's error under it (its SQLSTATE
 * says most of what went wrong), each cut to a few KiB.
 */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: typeof error, message: capText(String(error), MAX_MESSAGE) };
  const fields: LogFields = {
    error: error.name,
    message: capText(withoutQueryParams(error.message), MAX_MESSAGE),
    stack: capText(framesOf(error) ?? "", MAX_STACK),
  };
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    fields.cause = {
      error: cause.name,
      message: capText(withoutQueryParams(cause.message), MAX_MESSAGE),
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return fields;
}
