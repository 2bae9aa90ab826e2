import type { RequestLine } from "../ports/logger.js";
import { loggable, redactFields } from "./redaction.js";

/**
 * The request line's fields as JSON members (`"request_id":"…","method":"GET",…`),
 * without redactFields' general walk (an object copy, every name judged):
 * redaction still holds by construction, because
 *   - the names are the fixed ones below, none of them a secret name
 *     (test/unit/request-line.test.ts: the line equals redactFields' output);
 *   - every string value still passes the value net (`loggable`: credential
 *     shapes cut out, query parameters dropped, length capped), although each
 *     is an id or pattern the code produced or validated: request_id matches
 *     /^[A-Za-z0-9._-]{1,128}$/ or is a UUID (request-id.ts), trace_id is 32
 *     hex, route a pattern from the route table or `unmatched`, method the
 *     HTTP parser's token, tenant a slug, user_id and session_id ids;
 *   - status and duration_ms are numbers.
 * Undefined fields are left out, as JSON.stringify does. A value that is not
 * the string its type says (a claim of a token cast unchecked) is written as
 * redactFields writes it, rather than costing the request its line.
 */
export function requestLineMembers(line: RequestLine): string {
  // One object of a fixed shape, one JSON.stringify (cheaper than one per value).
  const json = JSON.stringify({
    request_id: text(line.request_id),
    trace_id: text(line.trace_id),
    method: text(line.method),
    route: text(line.route),
    status: line.status,
    duration_ms: line.duration_ms,
    tenant: text(line.tenant),
    user_id: text(line.user_id),
    session_id: text(line.session_id),
  });
  return json.slice(1, -1);
}

// Absent and string fields (every line's) take the short way; anything else is the rare case.
const text = (value: unknown) =>
  value === undefined ? undefined : typeof value === "string" ? loggable(value) : redactFields({ value }).value;
