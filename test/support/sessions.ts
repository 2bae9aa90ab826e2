import pg from "pg";
import { expect } from "vitest";
import type { LogFields, Logger } from "../../src/core/ports/logger.js";
import { appClient, type TokenBody } from "./accounts.js";
import { startTestApp, type TestApp } from "./app.js";
import { pinnedClock } from "./key-ring.js";
import { expectProblem, readAnswer } from "./problem.js";
import { deletePrefix, type RedisUnderTest, SINGLE_REDIS } from "./redis.js";

/**
 * The whole app on real Postgres and Redis with a pinned clock and a logger
 * that keeps every line, plus the tenants the session suites use: `acme`,
 * `other`, and `short` (1 h idle timeout, 3 h absolute lifetime).
 */
export async function startSessionsApp(redis: RedisUnderTest = SINGLE_REDIS, config: Record<string, string> = {}) {
  const clock = pinnedClock(Date.UTC(2026, 10, 1, 12));
  const logLines: string[] = [];
  const keep = (event: string, fields?: LogFields) => logLines.push(JSON.stringify({ event, ...fields }));
  const logger: Logger = { info: keep, warn: keep, error: keep };
  const t: TestApp = await startTestApp({ clock, logger }, config, redis);
  const api = appClient(t);
  const db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("acme");
  await api.createTenant("other");
  await api.createTenant("short", { session_idle_ttl: 3600, session_absolute_ttl: 3 * 3600 });
  let users = 0;

  return {
    t,
    api,
    db,
    clock,
    logLines,
    /** The email of the latest signup. */
    lastEmail: () => `user${users}@example.com`,
    nextEmail: () => `user${++users}@example.com`,
    async signup(tenant = "acme"): Promise<TokenBody & { user: { id: string } }> {
      const response = await api.signup(tenant, `user${++users}@example.com`);
      expect(response.status).toBe(201);
      return response.json();
    },
    async refreshOk(tenant: string, token: string): Promise<TokenBody> {
      const response = await api.refresh(tenant, token);
      expect(response.status, await response.clone().text()).toBe(200);
      return response.json();
    },
    /** Redis loses everything the app holds (a restart without persistence, a flush). */
    loseRedisData: () => deletePrefix(t.prefix, t.redis),
    sessionRow: async (id: string) =>
      (await db.query("SELECT * FROM sessions WHERE id = $1", [id])).rows[0] as Record<string, unknown>,
    /** 401 invalid_grant, as problem+json. */
    async expectInvalidGrant(response: Response) {
      expectProblem(await readAnswer(response), 401, "invalid_grant");
    },
    /** The access token is refused at /v1/me as revoked. */
    async expectRevoked(tenant: string, accessToken: string) {
      const answer = await readAnswer(await api.me(tenant, accessToken));
      expectProblem(answer, 401, "token_revoked");
      expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
    },
    async close() {
      await db.end();
      await t.close();
    },
  };
}

export type SessionsApp = Awaited<ReturnType<typeof startSessionsApp>>;
