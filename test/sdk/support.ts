/**
 * The real service for the SDK suites: the whole app (startTestApp: real
 * Postgres and Redis) served by @hono/node-server on a loopback port, with
 * PUBLIC_URL set to that address so that the issuer, the JWKS URL and the
 * introspection URL the SDK derives from it are the real ones. Requests to the
 * JWKS are counted (and can be made to fail) in front of the app, the way a
 * load balancer would see them.
 */
import { serve } from "@hono/node-server";
import { decodeJwt } from "jose";
import pg from "pg";
import { expect } from "vitest";
import { client, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { freePort } from "../support/ports.js";

interface JwksHit {
  tenant: string;
  ifNoneMatch: string | null;
  status: number;
  etag: string | null;
}

export interface Signed extends TokenBody {
  user: { id: string };
}

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface SdkHarness {
  t: TestApp;
  base: string;
  issuer(tenant: string): string;
  api: ReturnType<typeof client>;
  /** JWKS requests that reached the server, in order. */
  jwksHits: JwksHit[];
  jwksCount(tenant: string): number;
  /** While true, the JWKS answers 503 (the app is not called). */
  jwksDown: boolean;
  /** A new user of `tenant` and its tokens. */
  signup(tenant: string): Promise<Signed>;
  /** An API key of an admin user of `tenant` with `scopes` (service scopes need an admin owner). */
  serviceKey(tenant: string, scopes: string[]): Promise<{ id: string; key: string; owner: TokenBody }>;
  close(): Promise<void>;
}

/** A fetch that counts what it sends (by URL path), in front of the real one. */
export function countingFetch(inner: FetchFn = (input, init) => fetch(input, init)) {
  const calls: string[] = [];
  const wrapped: FetchFn = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    calls.push(new URL(url).pathname);
    return inner(input, init);
  };
  return { fetch: wrapped, calls, count: (suffix: string) => calls.filter((p) => p.endsWith(suffix)).length };
}

export async function startSdkHarness(configOverrides: Record<string, string> = {}): Promise<SdkHarness> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t = await startTestApp({}, { PUBLIC_URL: base, ...configOverrides });
  const jwksHits: JwksHit[] = [];
  let users = 0;
  const server = serve({
    hostname: "127.0.0.1",
    port,
    fetch: async (request: Request) => {
      const path = new URL(request.url).pathname;
      const jwks = /^\/t\/([^/]+)\/\.well-known\/jwks\.json$/.exec(path);
      if (!jwks) return t.app.fetch(request);
      const hit: JwksHit = {
        tenant: jwks[1] as string,
        ifNoneMatch: request.headers.get("if-none-match"),
        status: 0,
        etag: null,
      };
      jwksHits.push(hit);
      const response = h.jwksDown ? new Response("down", { status: 503 }) : await t.app.fetch(request);
      hit.status = response.status;
      hit.etag = response.headers.get("etag");
      return response;
    },
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const api = client((path, init) => fetch(`${base}${path}`, init));
  const db = new pg.Client({ connectionString: t.database.url });
  await db.connect();

  const h: SdkHarness = {
    t,
    base,
    issuer: (tenant) => `${base}/t/${tenant}`,
    api,
    jwksHits,
    jwksCount: (tenant) => jwksHits.filter((hit) => hit.tenant === tenant).length,
    jwksDown: false,
    async signup(tenant) {
      const response = await api.signup(tenant, `sdk-user${++users}@example.com`, GOOD_PASSWORD);
      expect(response.status, await response.clone().text()).toBe(201);
      return (await response.json()) as Signed;
    },
    async serviceKey(tenant, scopes) {
      const user = await h.signup(tenant);
      await db.query(`UPDATE users SET scopes = '["admin"]' WHERE id = $1`, [user.user.id]);
      const login = await api.login(tenant, `sdk-user${users}@example.com`);
      expect(login.status).toBe(200);
      const owner = (await login.json()) as TokenBody;
      const created = await fetch(`${base}/t/${tenant}/v1/api-keys`, {
        method: "POST",
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${owner.access_token}` },
        body: JSON.stringify({ name: `svc-${scopes.join("-")}`, scopes }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const body = (await created.json()) as { id: string; key: string };
      return { id: body.id, key: body.key, owner };
    },
    async close() {
      await db.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
  return h;
}

export const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

export interface TokenChange {
  claims?: Record<string, unknown>;
  drop?: string[];
  header?: Record<string, unknown>;
}

/**
 * A token signed by the tenant's own active key (from the service's key ring) with the claims of
 * `base` changed as asked: so that each case fails on the one check it is about, not on the signature.
 * Signed by hand rather than with jose, which refuses to sign some headers tested (crit).
 */
export async function tenantSigned(h: SdkHarness, slug: string, base: string, change: TokenChange = {}) {
  const tenant = await h.t.services.tenants.require(slug);
  const signer = await h.t.services.keyRing.signer(tenant);
  const claims: Record<string, unknown> = { ...decodeJwt(base), ...change.claims };
  for (const name of change.drop ?? []) delete claims[name];
  const header: Record<string, unknown> = { alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...change.header };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = await signer.signature(new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString("base64url")}`;
}
