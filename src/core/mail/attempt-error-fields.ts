import { errorFields } from "../logging/error-fields.js";
import type { LogFields } from "../ports/logger.js";

/** Anything shaped like an address, in an error a server or provider wrote (`550 <ada@example.com>: …`). */
const ADDRESS = /[^\s<>()[\]{},;:"'@]+@[^\s<>()[\]{},;:"'@]+/g;

/** The error's log fields without the recipient: the server's reply may quote it. */
export function attemptErrorFields(error: unknown, to: string): LogFields {
  const scrub = (text: unknown) =>
    typeof text === "string" ? (to ? text.split(to).join("[recipient]") : text).replace(ADDRESS, "[address]") : text;
  const fields = errorFields(error);
  const cause = fields.cause as LogFields | undefined;
  return {
    ...fields,
    message: scrub(fields.message),
    ...(cause ? { cause: { ...cause, message: scrub(cause.message) } } : {}),
  };
}
