import type { FieldError } from "../core/errors.js";

/**
 * NUL and unpaired UTF-16 surrogates: Postgres refuses both in text and
 * jsonb (a failed query, so a 500), and neither is Unicode text a client can
 * mean. One regex pass per string: with the `u` flag a valid pair is one
 * code point, so only lone surrogates match `\p{Cs}`.
 */
const UNSAFE = /[\0\p{Cs}]/u;
const MESSAGE = "must not contain NUL or unpaired surrogate characters";
const MAX_REPORTED = 20;

/** The field's name as the report shows it, with its own unsafe characters escaped. */
const shown = (name: string) =>
  UNSAFE.test(name)
    ? name.replace(/[\0\p{Cs}]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : name;

/**
 * Every string (object keys included) of a validated request part holding
 * NUL or a lone surrogate, as `validation_failed` field errors with zod's
 * path notation (`a.b.0`). Iterative, so a deeply nested body cannot
 * overflow the stack.
 */
export function unsafeTextErrors(value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const pending: [unknown, string][] = [[value, ""]];
  while (pending.length > 0 && found.length < MAX_REPORTED) {
    const [current, path] = pending.pop() as [unknown, string];
    if (typeof current === "string") {
      if (UNSAFE.test(current)) found.push({ path: path || "(body)", message: MESSAGE });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], path ? `${path}.${i}` : String(i)]);
    } else if (current !== null && typeof current === "object") {
      for (const [key, inner] of Object.entries(current)) {
        const at = path ? `${path}.${shown(key)}` : shown(key);
        if (UNSAFE.test(key))
          found.push({ path: at, message: "has a name that must not contain NUL or unpaired surrogates" });
        else pending.push([inner, at]);
      }
    }
  }
  return found;
}
