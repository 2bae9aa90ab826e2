/**
 * The built Node server counts rate limits by the client address it can
 * trust: the socket peer, or, behind a proxy listed in TRUSTED_PROXIES, the
 * rightmost X-Forwarded-For entry no trusted proxy owns.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  ADMIN_KEY,
  adminHeaders,
  call,
  cleanupNodes,
  createTenant,
  ENTRY,
  type NodeProcess,
  serverEnv,
  startNode,
  stop,
} from "../support/runtime-node.js";

let database: TestDatabase;
const prefixes: string[] = [];
const servers: NodeProcess[] = [];

async function serve(extra: Record<string, string>): Promise<NodeProcess> {
  const prefix = testPrefix();
  prefixes.push(prefix);
  const server = await startNode(serverEnv(database.url, prefix, { ...extra }));
  servers.push(server);
  return server;
}

/** Two requests allowed per client network on this tenant's `default` limit. */
async function tightTenant(server: NodeProcess, slug: string) {
  expect((await createTenant(server, JSON.stringify({ slug, name: slug }), adminHeaders(ADMIN_KEY))).status).toBe(201);
  const limits = await call(server, `/t/${slug}/v1/admin/rate-limits`, {
    method: "PUT",
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify({ default: { limit: 2, window_seconds: 3600 } }),
  });
  expect(limits.status).toBe(200);
}

const jwks = (server: NodeProcess, slug: string, forwardedFor?: string) =>
  call(
    server,
    `/t/${slug}/.well-known/jwks.json`,
    forwardedFor ? { headers: { "X-Forwarded-For": forwardedFor } } : {},
  );

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  database = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  for (const server of servers) if (!server.hasExited()) await stop(server).catch(() => {});
  await cleanupNodes();
  for (const prefix of prefixes) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

describe("client address on the Node build", () => {
  it("ignores X-Forwarded-For without trusted proxies (a client cannot pick its own address)", async () => {
    const server = await serve({});
    await tightTenant(server, "direct");
    // The admin PUT came from 127.0.0.1 too and spent one of the two.
    expect((await jwks(server, "direct", "192.0.2.1")).status).toBe(200);
    expect((await jwks(server, "direct", "192.0.2.2")).status).toBe(429);
    expect((await jwks(server, "direct", "192.0.2.3")).status).toBe(429);
  });

  it("behind a trusted proxy, counts each forwarded client apart, and refuses a forged hop's escape", async () => {
    const server = await serve({ TRUSTED_PROXIES: "127.0.0.1, ::1" });
    await tightTenant(server, "proxied");
    expect((await jwks(server, "proxied", "192.0.2.1")).status).toBe(200);
    expect((await jwks(server, "proxied", "192.0.2.1")).status).toBe(200);
    expect((await jwks(server, "proxied", "192.0.2.1")).status).toBe(429);
    // A client prepending a fake address is still counted by the address the proxy saw.
    expect((await jwks(server, "proxied", "198.51.100.9, 192.0.2.1")).status).toBe(429);
    expect((await jwks(server, "proxied", "192.0.2.2")).status).toBe(200);
  });

  it("refuses an invalid TRUSTED_PROXIES at start", async () => {
    await expect(serve({ TRUSTED_PROXIES: "10.0.0.0/8, not-a-cidr" })).rejects.toThrow(/TRUSTED_PROXIES/);
  });
});
