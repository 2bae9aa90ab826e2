/**
 * Results instead of exceptions: every call resolves to `{ ok: true, value }`
 * or `{ ok: false, kind, status, problem }`. Only programmer errors throw.
 */

/** One invalid field of a `validation_failed` problem. */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem (`application/problem+json`) as the service sends it. */
export interface Problem {
  type: string;
  title: string;
  /** The HTTP status; 0 when no response arrived (network, timeout, aborted). */
  status: number;
  detail: string;
  /** Stable snake_case code, e.g. `invalid_credentials`, `rate_limited`, `timeout`. */
  code: string;
  errors?: FieldError[];
  /** Seconds, from the `Retry-After` header when the answer carried one (429, 423, 503). */
  retryAfter?: number;
  [extension: string]: unknown;
}

/**
 * Why a call failed:
 * - `http`: the service answered with an error status (`problem` is its body);
 * - `invalid_response`: a success status whose body could not be read as expected;
 * - `network`: no answer (connection refused, DNS, reset...);
 * - `timeout`: no (complete) answer within `timeoutMs`;
 * - `aborted`: the caller's `signal` aborted the call;
 * - `callback`: a federated login came back with an error or a foreign `state` (no request was made);
 * - `no_session`: a session call (refresh) without a session to refresh (no request was made).
 */
export type FailureKind = "http" | "invalid_response" | "network" | "timeout" | "aborted" | "callback" | "no_session";

export interface Success<T> {
  ok: true;
  status: number;
  value: T;
  headers: Headers;
  /** `X-Request-Id` of the answer, for correlating with the service's logs. */
  requestId: string | undefined;
  /** Requests sent for this call (more than 1 after retries). */
  attempts: number;
}

export interface Failure {
  ok: false;
  kind: FailureKind;
  /** The HTTP status, or 0 when no response arrived. */
  status: number;
  problem: Problem;
  headers: Headers | undefined;
  requestId: string | undefined;
  attempts: number;
  /** The underlying error of a network failure. */
  cause?: unknown;
}

export type Result<T> = Success<T> | Failure;

/** Results of calls answered with 204 (or 200 without a body). */
export type Done = Result<undefined>;

const SDK_PROBLEM = "urn:authority-sdk:problem:";

/** A failure that is not an HTTP answer: `status` 0 and a problem of the SDK's own. */
export function localFailure(
  kind: Exclude<FailureKind, "http" | "invalid_response">,
  code: string,
  title: string,
  detail: string,
  extra: { attempts?: number; cause?: unknown } = {},
): Failure {
  return {
    ok: false,
    kind,
    status: 0,
    problem: { type: `${SDK_PROBLEM}${code}`, title, status: 0, detail, code },
    headers: undefined,
    requestId: undefined,
    attempts: extra.attempts ?? 0,
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
  };
}

/** A success status whose body is not what the call expects. */
export function invalidResponse(
  answer: Pick<Failure, "status" | "headers" | "requestId" | "attempts">,
  detail: string,
): Failure {
  const { status, headers, requestId, attempts } = answer;
  const problem = { type: `${SDK_PROBLEM}invalid_response`, title: "Invalid response", status, detail };
  return {
    ok: false,
    kind: "invalid_response",
    status,
    headers,
    requestId,
    attempts,
    problem: { ...problem, code: "invalid_response" },
  };
}

/**
 * RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Whole seconds, never
 * negative; undefined when the header is absent or unreadable.
 */
function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The problem of an error answer: its problem+json body, or one made from the status when the body is not one. */
export function problemOf(response: Response, text: string): Problem {
  let body: unknown;
  if (/json/i.test(response.headers.get("content-type") ?? "")) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
  const fallback: Problem = {
    type: "about:blank",
    title: response.statusText || "HTTP error",
    status: response.status,
    detail: text.slice(0, 500) || `The service answered ${response.status}.`,
    code: "http_error",
  };
  const problem: Problem = isRecord(body)
    ? {
        ...body,
        type: typeof body.type === "string" ? body.type : fallback.type,
        title: typeof body.title === "string" ? body.title : fallback.title,
        status: typeof body.status === "number" ? body.status : response.status,
        detail: typeof body.detail === "string" ? body.detail : fallback.detail,
        code: typeof body.code === "string" ? body.code : fallback.code,
      }
    : fallback;
  if (retryAfter !== undefined) problem.retryAfter = retryAfter;
  return problem;
}
