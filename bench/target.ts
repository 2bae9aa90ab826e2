/**
 * A running service under test (the Node server, or the Worker in workerd):
 * its base URL on 127.0.0.1, its tenant, calls onto it (through the
 * loopback guard), its CPU clock, and the error lines of its logs.
 */
import type { SigningAlgorithm } from "../src/core/ports/database.js";
import { LIMIT_NAMES } from "../src/core/rate-limit/limits.js";
import { loopbackOnly } from "./guard.js";
import { sleep } from "./support.js";

interface Answer {
  status: number;
  body: string;
}

export interface Target {
  runtime: "node" | "workerd";
  /** What serves, where it is not the service (a floor reference): named in each phase's CPU figure. */
  process?: string;
  base: string;
  tenant: string;
  /** Headers every request carries (the Worker's CF-Connecting-IP). */
  headers: Record<string, string>;
  call(method: "GET" | "POST" | "PUT", path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** POSTs JSON; resolves the parsed body, throws (with the body) unless the status is `status`. */
  post<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    status?: number,
    headers?: Record<string, string>,
  ): Promise<T>;
  /** CPU seconds of the serving process so far. */
  cpu(): number;
  /** Waits until the serving process is idle (work after responses, e.g. ledger writes, done). */
  settle(): Promise<void>;
  logs: LogScan;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** `call` and `post` onto `base` (127.0.0.1 only). `describe` adds context (e.g. the server's output) to failures. */
export function httpClient(base: string, headers: Record<string, string>, describe: (message: string) => Error) {
  loopbackOnly(base);
  const call: Target["call"] = async (method, path, body, extra = {}) => {
    const url = loopbackOnly(`${base}${path}`);
    try {
      const response = await fetch(url, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...extra },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      throw describe(`${method} ${path} failed: ${(error as Error).message}`);
    }
  };
  const post: Target["post"] = async (path, body, status = 200, extra = {}) => {
    const answer = await call("POST", path, body, extra);
    if (answer.status !== status)
      throw describe(`POST ${path} answered ${answer.status} (expected ${status}): ${answer.body}`);
    return JSON.parse(answer.body);
  };
  return { call, post };
}

/** Idle once `cpu` moves at most 10 ms over 100 ms; bounded to 5 s. */
export async function settleCpu(cpu: () => number): Promise<void> {
  let last = cpu();
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const now = cpu();
    if (now - last <= 0.01) return;
    last = now;
  }
}

/**
 * Reads a service's log output (JSON lines) as it comes: counts the lines,
 * keeps every `"level":"error"` line (the first 20 in full) and a tail of
 * the output for failure messages.
 */
export class LogScan {
  lines = 0;
  errors = 0;
  readonly errorLines: string[] = [];
  private partial = "";
  private tailText = "";

  write(chunk: string): void {
    this.tailText = (this.tailText + chunk).slice(-8_000);
    const text = this.partial + chunk;
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  }

  /** One whole line (Miniflare hands structured logs over one at a time). */
  line(line: string): void {
    if (!line.trim()) return;
    this.lines++;
    if (/"level"\s*:\s*"error"/.test(line)) {
      this.errors++;
      if (this.errorLines.length < 20) this.errorLines.push(line.slice(0, 2_000));
    }
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = "";
  }

  tail(): string {
    return this.tailText;
  }
}

/**
 * Creates the tenant (its keys of `signingAlg`, the service's default when
 * unset) with the bootstrap admin key and lifts its per-network
 * limits: the load comes from one address, so the figures must measure the
 * work, not the limiter's refusals (every request still runs the GCRA script).
 */
export async function prepareTenant(
  client: ReturnType<typeof httpClient>,
  tenant: string,
  adminKey: string,
  signingAlg?: SigningAlgorithm,
): Promise<void> {
  const admin = { Authorization: `Bearer ${adminKey}` };
  const settings = signingAlg ? { signing_alg: signingAlg } : {};
  await client.post("/v1/admin/tenants", { slug: tenant, name: tenant, ...settings }, 201, admin);
  const unlimited = { limit: 1_000_000, window_seconds: 1 };
  const limits = Object.fromEntries(LIMIT_NAMES.map((name) => [name, unlimited]));
  const answer = await client.call("PUT", `/t/${tenant}/v1/admin/rate-limits`, limits, admin);
  if (answer.status !== 200) throw new Error(`PUT rate-limits answered ${answer.status}: ${answer.body}`);
}
