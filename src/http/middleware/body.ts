import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError, errors } from "../../core/errors.js";

/**
 * 413 for bodies over the configured limit, whether or not Content-Length is
 * sent. A declared length is checked from the header alone: the HTTP layer
 * delivers exactly that many bytes (RFC 9112 §6.2), and asking for the body
 * stream would make @hono/node-server build a full Fetch Request (with an
 * AbortController) and read the body through a web stream, for every
 * request. Only a body of undeclared length (chunked) is counted as it streams.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const streamed = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw errors.payloadTooLarge(maxBytes);
    },
  });
  // A body that stops before its end (the client went away, or ran out of time and was sent 408) is the
  // client's failure, answered 400 as a declared body that stops is by its reader, not an unhandled 500.
  const readStreamed: MiddlewareHandler = async (c, next) => {
    let reading = true;
    try {
      return await streamed(c, () => {
        reading = false;
        return next();
      });
    } catch (error) {
      if (reading && !(error instanceof AppError)) throw errors.malformedBody("The body did not arrive in full.");
      throw error;
    }
  };
  return (c, next) => {
    const method = c.req.method;
    // A Fetch Request of these methods has no body (Fetch standard, Request constructor).
    if (method === "GET" || method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return readStreamed(c, next);
    if (Number.parseInt(length, 10) > maxBytes) throw errors.payloadTooLarge(maxBytes);
    return next();
  };
}

/** RFC 8259 §8.1: JSON text is UTF-8; a malformed sequence is refused rather than read as U+FFFD. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;.*)?$/i;

/** Whether a Content-Type names an HTML form's body (application/x-www-form-urlencoded). */
export const isFormType = (contentType: string | undefined) => FORM_TYPE.test(contentType ?? "");

export type BodyFormat = "json" | "form";

/**
 * Declares which body formats a route takes: any other Content-Type is 415,
 * and a JSON body that does not parse is 400 `malformed_body`, before the
 * route's schema validation runs. The parsed body is cached by Hono, so the
 * validator reads it without parsing twice.
 */
export function acceptBody(...formats: BodyFormat[]): MiddlewareHandler {
  const expected = formats.map((f) => (f === "json" ? "application/json" : "application/x-www-form-urlencoded"));
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (formats.includes("json") && JSON_TYPE.test(type)) {
      try {
        const text = strictUtf8.decode(await c.req.arrayBuffer());
        // Hono's json() parses its cached text (a promise, whatever its type says): the validator reads this one.
        (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
        await c.req.json();
      } catch {
        throw errors.malformedBody("The body is not valid JSON.");
      }
    } else if (!(formats.includes("form") && FORM_TYPE.test(type))) {
      throw errors.unsupportedMediaType(expected.join(" or "));
    }
    await next();
  };
}

/** As acceptBody, for routes whose body may be left out (no Content-Type and no content). */
export function acceptOptionalBody(...formats: BodyFormat[]): MiddlewareHandler {
  const accept = acceptBody(...formats);
  return async (c, next) => {
    const empty = !c.req.header("content-type") && (c.req.header("content-length") ?? "0") === "0";
    if (empty && !c.req.header("transfer-encoding")) return next();
    return accept(c, next);
  };
}

/**
 * For a POST that takes no body: none, an empty one or `{}` (which many
 * clients send with every POST) go on; anything else is 400
 * `validation_failed`, naming each field of an object, so a setting sent to a
 * route that has none (`include_api_keys` in the body of revoke-sessions) is
 * refused rather than silently ignored.
 */
export function acceptNoBody(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.raw.body !== null) {
      let text: string;
      try {
        text = strictUtf8.decode(await c.req.arrayBuffer());
      } catch {
        throw errors.malformedBody("The body could not be read as UTF-8.");
      }
      if (text.trim() !== "") refuseContent(text);
    }
    await next();
  };
}

function refuseContent(text: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return;
    throw errors.validation(keys.map((key) => ({ path: "(body)", message: `Unrecognized key: "${key}"` })));
  }
  throw errors.validation([{ path: "(body)", message: "must be empty or {}: this route takes no body" }]);
}
