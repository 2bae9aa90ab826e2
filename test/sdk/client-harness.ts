/**
 * The SDK client's tests run against the real service: the whole app (real
 * Postgres and Redis) served by @hono/node-server on a loopback port, called
 * through real fetch. Helpers here count what the client sends.
 */
import type { AddressInfo } from "node:net";
import {
  createClient,
  type FetchLike,
  type LoginResponse,
  type MfaChallenge,
  type Result,
} from "@authority/sdk/client";
import { serve } from "@hono/node-server";
import pg from "pg";
import { expect } from "vitest";
import { GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";

export { GOOD_PASSWORD, TEST_ADMIN_KEY };

export interface ServedApp {
  t: TestApp;
  baseUrl: string;
  /** A client of this service with the bootstrap admin key. */
  admin: ReturnType<typeof createClient>;
  /** Gives a user scopes (e.g. `admin`) directly in the database; they apply from the next login. */
  grantScopes(userId: string, scopes: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startServedApp(...args: Parameters<typeof startTestApp>): Promise<ServedApp> {
  const t = await startTestApp(...args);
  let server: ReturnType<typeof serve> | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(info.port));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  return {
    t,
    baseUrl,
    admin: createClient({ baseUrl, apiKey: TEST_ADMIN_KEY }),
    async grantScopes(userId, scopes) {
      await db.query("UPDATE users SET scopes = $1 WHERE id = $2", [JSON.stringify(scopes), userId]);
    },
    async close() {
      await db.end();
      await new Promise<void>((resolve) => {
        server?.close(() => resolve());
        (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
      });
      await t.close();
    },
  };
}

interface SentRequest {
  method: string;
  url: string;
  path: string;
  body: string | undefined;
  headers: Headers;
}

/** A fetch that records every request before passing it on (or answering it itself). */
export function countingFetch(inner: FetchLike = (input, init) => fetch(input, init)) {
  const sent: SentRequest[] = [];
  const wrapped: FetchLike = (input, init) => {
    sent.push({
      method: init.method ?? "GET",
      url: input,
      path: new URL(input).pathname,
      body: typeof init.body === "string" ? init.body : undefined,
      headers: new Headers(init.headers),
    });
    return inner(input, init);
  };
  return {
    fetch: wrapped,
    sent,
    count: (pathEnd: string, method?: string) =>
      sent.filter((r) => r.path.endsWith(pathEnd) && (method === undefined || r.method === method)).length,
  };
}

/** The value of a successful result (fails the test otherwise, showing the problem). */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok)
    expect.fail(`expected success, got ${result.kind} ${result.status}: ${JSON.stringify(result.problem)}`);
  return result.value;
}

/** The tokens of a login, signup or exchange that needed no second step (fails the test on an MFA challenge). */
export function tokensOf<T extends LoginResponse>(result: Result<T>): Exclude<T, MfaChallenge> {
  const value = unwrap(result);
  if (value.mfa_required) expect.fail(`expected tokens, got an MFA challenge: ${JSON.stringify(value)}`);
  return value as Exclude<T, MfaChallenge>;
}

/** A failed result of this status and problem code, with a complete RFC 9457 problem. */
export function expectFailure(result: Result<unknown>, status: number, code: string): void {
  if (result.ok) expect.fail(`expected ${status} ${code}, got ${result.status} ${JSON.stringify(result.value)}`);
  expect({ status: result.status, code: result.problem.code }, result.problem.detail).toEqual({ status, code });
  if (status > 0) {
    expect(result.kind).toBe("http");
    expect(result.problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
    expect(typeof result.problem.detail).toBe("string");
    expect(result.requestId).toEqual(expect.any(String));
  }
}

let counter = 0;
/** A fresh address per call, so tests in one file never collide. */
export const email = (name = "user") => `${name}-${Date.now().toString(36)}-${++counter}@example.com`;
