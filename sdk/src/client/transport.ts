/**
 * One call to the service: URL and headers, a timeout per attempt combined
 * with the caller's signal, retries for idempotent methods only, and the
 * answer turned into a Result. Nothing here throws for a failed request.
 */
import { type Failure, invalidResponse, localFailure, problemOf, type Result } from "./result.js";
import { isRetryable, type RetryOptions, type RetryPolicy, retryDelay, retryPolicy, sleep } from "./retry.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Options every client method takes as its last argument. */
export interface RequestOptions {
  /** Aborts the call (the result is then `kind: "aborted"`). */
  signal?: AbortSignal;
  /** Timeout of each attempt, body included; overrides the client's. */
  timeoutMs?: number;
  /** Retries of this call (idempotent calls only); overrides the client's. */
  retries?: number | RetryOptions;
  /** Extra request headers (mind CORS in browsers: the service allows few). */
  headers?: Record<string, string>;
  /** Bearer-protected routes: use this access token instead of the client's session. */
  accessToken?: string;
  /** Service and admin routes: use this credential instead of the client's `apiKey`. */
  apiKey?: string;
}

export interface Call {
  method: Method;
  /** Absolute path on the service, already encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** `Authorization: Bearer ...`. */
  bearer?: string | undefined;
  /** Cookie mode: `credentials: "include"`. */
  cookie?: boolean;
  /** How to read a success body. Default JSON. */
  accept?: "json" | "text";
}

export interface TransportOptions {
  baseUrl: string;
  fetch: FetchLike;
  timeoutMs: number;
  retry: RetryPolicy;
  headers: Record<string, string>;
  random?: () => number;
}

const IDEMPOTENT: ReadonlySet<Method> = new Set(["GET", "HEAD", "PUT", "DELETE"]);

export class Transport {
  constructor(readonly options: TransportOptions) {}

  url(path: string, query: Record<string, string | undefined> = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
    const search = params.toString();
    return `${this.options.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  async send<T>(call: Call, options: RequestOptions = {}): Promise<Result<T>> {
    const policy = IDEMPOTENT.has(call.method) ? retryPolicy(options.retries, this.options.retry) : undefined;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    if (!(timeoutMs > 0)) throw new TypeError("timeoutMs must be a number > 0");
    const init = this.init(call, options);
    const url = this.url(call.path, call.query);
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt<T>(url, init, call.accept ?? "json", timeoutMs, options.signal, attempt);
      if (!policy || attempt > policy.retries || !isRetryable(result)) return result;
      const delay = retryDelay(policy, attempt - 1, result, this.options.random);
      if (delay === undefined) return result;
      if (!(await sleep(delay, options.signal))) return aborted(options.signal, attempt);
    }
  }

  private init(call: Call, options: RequestOptions): RequestInit {
    const headers: Record<string, string> = {
      Accept: "application/json, application/problem+json",
      ...this.options.headers,
      ...options.headers,
    };
    if (call.bearer !== undefined) headers.Authorization = `Bearer ${call.bearer}`;
    let body: string | undefined;
    if (call.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(call.body);
    }
    return {
      method: call.method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(call.cookie ? { credentials: "include" as const } : {}),
    };
  }

  private async attempt<T>(
    url: string,
    init: RequestInit,
    accept: "json" | "text",
    timeoutMs: number,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<Result<T>> {
    if (signal?.aborted) return aborted(signal, attempt - 1);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`No answer within ${timeoutMs} ms`, "TimeoutError"));
    }, timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await this.options.fetch(url, { ...init, signal: controller.signal });
      // The body is read under the same timeout: a stalled body is a timeout too.
      const text = await response.text();
      return read<T>(response, text, accept, attempt);
    } catch (error) {
      if (timedOut) {
        return localFailure("timeout", "timeout", "Timeout", `No answer within ${timeoutMs} ms.`, {
          attempts: attempt,
        });
      }
      if (signal?.aborted) return aborted(signal, attempt);
      const detail = error instanceof Error ? error.message : String(error);
      return localFailure("network", "network_error", "Network error", detail || "The request failed.", {
        attempts: attempt,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

function aborted(signal: AbortSignal | undefined, attempts: number): Failure {
  const reason = signal?.reason instanceof Error ? signal.reason.message : "The caller aborted the request.";
  return localFailure("aborted", "aborted", "Aborted", reason, { attempts, cause: signal?.reason });
}

function read<T>(response: Response, text: string, accept: "json" | "text", attempts: number): Result<T> {
  const requestId = response.headers.get("x-request-id") ?? undefined;
  const common = { status: response.status, headers: response.headers, requestId, attempts };
  if (!response.ok) return { ok: false, kind: "http", ...common, problem: problemOf(response, text) };
  if (accept === "text") return { ok: true, ...common, value: text as T };
  if (text === "") return { ok: true, ...common, value: undefined as T };
  try {
    return { ok: true, ...common, value: JSON.parse(text) as T };
  } catch {
    return invalidResponse(common, "The service's answer is not JSON.");
  }
}
