/** The relying-party suite against the built Node server (a process on real Postgres and Redis). */
import { existsSync } from "node:fs";
import { afterAll, expect } from "vitest";
import { freePort } from "../support/ports.js";
import { createTestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { ADMIN_KEY, cleanupNodes, ENTRY, serverEnv, startNode, stop } from "../support/runtime-node.js";
import { relyingPartySuite } from "./relying-parties.contract.js";

afterAll(cleanupNodes, 30_000);

relyingPartySuite("the built Node server", async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  const database = await createTestDatabase();
  const prefix = testPrefix();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await startNode(serverEnv(database.url, prefix, { PORT: String(port), PUBLIC_URL: base })).catch(
    async (error) => {
      await database.drop();
      throw error;
    },
  );
  return {
    base,
    adminKey: ADMIN_KEY,
    async close() {
      await stop(server).catch(() => {});
      await deletePrefix(prefix);
      await database.drop();
    },
  };
});
