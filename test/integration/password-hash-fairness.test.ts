/**
 * The tenants of a process share its password hashing (Node: a queue of
 * argon2id hashes). Before, the queue served every tenant in arrival order and
 * refused newcomers once full: a flood of logins for unknown addresses at
 * tenant A (each still hashed, against a dummy) answered tenant B's logins 503
 * or made them wait behind the whole flood.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HashQueue } from "../../src/adapters/passwords/hash-queue.js";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { LogFields, Logger } from "../../src/core/ports/logger.js";
import type { Metrics } from "../../src/core/ports/telemetry.js";
import { nodeClientPresence } from "../../src/entry/node-deps.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";

const shed: string[] = [];
const metrics: Metrics = {
  increment: (name, labels) => {
    if (name === "password_hashes_shed_total") shed.push(labels?.reason ?? "");
  },
  observe: () => {},
};
const requestLines: LogFields[] = [];
const keepNothing = () => {};
const logger: Logger = {
  info: keepNothing,
  warn: keepNothing,
  error: keepNothing,
  request: (level, line) => requestLines.push({ level, ...line }),
};
/** One hash at a time, eight waiting: a small queue the flood fills at once. */
const queue = new HashQueue({ limit: 1, maxWaiting: 8, metrics });
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({
    passwords: createNodeArgon2Hasher(cryptoRandom, queue),
    clientPresence: nodeClientPresence,
    logger,
  });
  const api = appClient(t);
  await api.createTenant("ta");
  await api.createTenant("tb");
  expect((await api.signup("tb", "bob@example.com")).status).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

/** A login at tenant A for an address with no account (hashed all the same), each from another network. */
const floodLogin = (i: number) =>
  t.app.request("/t/ta/v1/login", {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ email: `nobody-${i}@example.com`, password: GOOD_PASSWORD }),
  });

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

describe("password hashing shared by the tenants", () => {
  it("lets tenant B's login through while tenant A's flood fills the queue", async () => {
    shed.length = 0;
    const flood = Array.from({ length: 40 }, (_, i) => floodLogin(i));
    await until(() => queue.waiting === 8);
    const login = await appClient(t).login("tb", "bob@example.com");
    expect(login.status).toBe(200);
    const statuses = await Promise.all(flood.map(async (response) => (await response).status));
    // The flood is shed (503), B's login took the place of A's newest.
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
    expect(shed.every((reason) => reason === "full")).toBe(true);
  });

  it("sheds a waiting login whose client has gone, without checking its password", async () => {
    shed.length = 0;
    const flood = Array.from({ length: 8 }, (_, i) => floodLogin(100 + i));
    await until(() => queue.waiting >= 3);
    // As @hono/node-server hands the app its ServerResponse, here destroyed: the client closed the connection.
    const response = t.app.request(
      "/t/tb/v1/login",
      { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ email: "bob@example.com", password: "x" }) },
      { outgoing: { destroyed: true } },
    );
    const answer = await response;
    expect(answer.status).toBe(503);
    expect(shed).toEqual(["abandoned"]);
    // Nobody saw that 503: its request line is a warning, not an error an operator is paged for.
    const requestId = answer.headers.get("x-request-id");
    expect(requestLines.find((line) => line.request_id === requestId)).toMatchObject({ level: "warn", status: 503 });
    await Promise.all(flood);
  });

  it("reads a Node request whose client closed its connection as gone, and one still connected as wanted", async () => {
    const seen: boolean[] = [];
    let closed!: () => void;
    const clientClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const app = new Hono();
    app.post("/", async (c) => {
      await c.req.text();
      const wanted = nodeClientPresence(c) as () => boolean;
      seen.push(wanted());
      closed();
      await until(() => !wanted());
      seen.push(wanted());
      return c.body(null, 204);
    });
    const server = createServer(getRequestListener(app.fetch));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const client = request({ port: (server.address() as AddressInfo).port, host: "127.0.0.1", method: "POST" });
      client.on("error", () => {});
      client.end("{}");
      await clientClosed;
      client.destroy();
      await until(() => seen.length === 2);
      expect(seen).toEqual([true, false]);
    } finally {
      server.close();
    }
  });
});
