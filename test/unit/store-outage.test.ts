/**
 * Which driver errors are a store outage (503, Retry-After) and which stay
 * unexpected (500): the adapters decide, so the core and the HTTP layer know
 * no driver.
 */
import { DrizzleQueryError } from "drizzle-orm/errors";
import { ReplyError } from "ioredis";
import { describe, expect, it, vi } from "vitest";
import { isPostgresUnavailable } from "../../src/adapters/postgres/unavailable.js";
import { isRedisUnavailable } from "../../src/adapters/redis/ioredis.js";
import { isUpstashUnavailable, UpstashKeyValueStore } from "../../src/adapters/redis/upstash.js";
import { StoreUnavailableError } from "../../src/core/errors.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
/** As drizzle reports a failed query: the driver's error under `cause`. */
const query = (cause: Error) => new DrizzleQueryError("select 1", [], cause);
const timeout = () => new DOMException("The operation was aborted due to timeout", "TimeoutError");

describe("Postgres outages", () => {
  it.each([
    ["statement_timeout", query(withCode("canceling statement due to statement timeout", "57014"))],
    ["admin shutdown", query(withCode("terminating connection due to administrator command", "57P01"))],
    ["starting up", withCode("the database system is starting up", "57P03")],
    ["a connection exception", withCode("connection failure", "08006")],
    ["too many connections", withCode("sorry, too many clients already", "53300")],
    ["connection refused", query(withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))],
    ["connection reset", query(withCode("read ECONNRESET", "ECONNRESET"))],
    ["the pool's wait", query(new Error("timeout exceeded when trying to connect"))],
    ["the client-side query timeout", query(new Error("Query read timeout"))],
    ["a connection lost", query(new Error("Connection terminated unexpectedly"))],
    [
      "Neon, fetch failed",
      query(Object.assign(new Error("Error connecting to database: TypeError: fetch failed"), {})),
    ],
    ["Neon, its proxy's 5xx", query(new Error("Server error (HTTP status 502): bad gateway"))],
    ["Neon, its proxy's 429", query(new Error("Server error (HTTP status 429): too many requests"))],
    ["Neon, an answer that is not JSON", query(new SyntaxError("Unexpected token '<', \"<html>\" is not valid JSON"))],
    [
      "Neon, fetch timed out",
      query(Object.assign(new Error("Error connecting to database"), { sourceError: timeout() })),
    ],
  ])("counts %s", (_, error) => {
    expect(isPostgresUnavailable(error)).toBe(true);
  });

  it.each([
    ["a unique violation", query(withCode("duplicate key value", "23505"))],
    ["a syntax error", query(withCode('syntax error at or near "selec"', "42601"))],
    ["a bug", new TypeError("Cannot read properties of undefined")],
    ["Neon, a 4xx", query(new Error("Server error (HTTP status 400): bad request"))],
  ])("leaves out %s", (_, error) => {
    expect(isPostgresUnavailable(error)).toBe(false);
  });
});

describe("Redis outages", () => {
  it.each([
    ["a closed connection", new Error("Connection is closed.")],
    ["a command timeout", new Error("Command timed out")],
    ["no connection, no offline queue", new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ["a cluster not ready", new Error("Cluster isn't ready and enableOfflineQueue options is false")],
    // ioredis does not export the class; its name is what is read.
    [
      "the retries spent",
      Object.assign(new Error("Reached the max retries per request limit"), { name: "MaxRetriesPerRequestError" }),
    ],
    ["connection refused", withCode("connect ECONNREFUSED 127.0.0.1:6379", "ECONNREFUSED")],
    ["loading its data", new ReplyError("LOADING Redis is loading the dataset in memory")],
    ["a busy script", new ReplyError("BUSY Redis is busy running a script.")],
    ["a cluster down", new ReplyError("CLUSTERDOWN The cluster is down")],
  ])("counts %s", (_, error) => {
    expect(isRedisUnavailable(error)).toBe(true);
  });

  it.each([
    ["a script's error", new ReplyError("ERR user_script:1: Script attempted to access nonexistent global")],
    ["a cross-slot script", new ReplyError("CROSSSLOT Keys in request don't hash to the same slot")],
    ["a wrong type", new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")],
    ["a bug", new TypeError("x is not a function")],
  ])("leaves out %s", (_, error) => {
    expect(isRedisUnavailable(error)).toBe(false);
  });
});

describe("Upstash outages", () => {
  it.each([
    ["fetch failed", Object.assign(new TypeError("fetch failed"), { cause: withCode("connect", "ECONNREFUSED") })],
    ["a request timed out", timeout()],
    ["a gateway's page", Object.assign(new Error("<html>502</html>"), { name: "UpstashJSONParseError" })],
  ])("counts %s", (_, error) => {
    expect(isUpstashUnavailable(error)).toBe(true);
  });

  it("leaves out Redis' own error replies", () => {
    const reply = Object.assign(new Error("ERR wrong number of arguments, command was: [...]"), {
      name: "UpstashError",
    });
    expect(isUpstashUnavailable(reply)).toBe(false);
  });

  it.each([
    ["workerd's lost connection", new Error("Network connection lost.")],
    [
      "a database over its request limit",
      Object.assign(new Error("ERR max requests limit exceeded"), { name: "UpstashError" }),
    ],
    ["Upstash failing", Object.assign(new Error("ERR internal error"), { name: "UpstashError" })],
  ])("counts %s", (_, error) => {
    expect(isUpstashUnavailable(error)).toBe(true);
  });

  it("keeps a body that is not JSON out of the error it raises", async () => {
    const fetchSpy = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValue(new Response("secret-value-in-body", { status: 200 }));
    try {
      const store = new UpstashKeyValueStore({ url: "https://upstash.invalid", token: "t", prefix: "p:" });
      const error = await store.get("k").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(JSON.stringify(String((error as StoreUnavailableError).cause))).not.toContain("secret-value-in-body");
    } finally {
      fetchSpy.mockRestore();
    }
  });
});

describe("Upstash requests whose answer was lost", () => {
  /** Every request reaches the network and its answer is lost (the connection reset after sending). */
  async function requestsFor(call: (store: UpstashKeyValueStore) => Promise<unknown>): Promise<number> {
    let requests = 0;
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      requests++;
      throw Object.assign(new TypeError("fetch failed"), { cause: withCode("read", "ECONNRESET") });
    });
    try {
      const store = new UpstashKeyValueStore({ url: "https://upstash.invalid", token: "t", prefix: "p:" });
      await expect(call(store)).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      fetchSpy.mockRestore();
    }
    return requests;
  }

  it("sends a write or a script once: Upstash may have run it, and a second GETDEL or script acts twice", async () => {
    expect(await requestsFor((store) => store.take("mfa-challenge")), "take").toBe(1);
    expect(await requestsFor((store) => store.set("k", "v", { onlyIfAbsent: true })), "set").toBe(1);
    const script = { name: "s", lua: "return 1", memory: () => 1, decode: (raw: unknown) => raw };
    expect(await requestsFor((store) => store.run(script, ["k"], [])), "script").toBe(1);
  });

  it("sends a read once too (one client, so one read-your-writes token)", async () => {
    expect(await requestsFor((store) => store.get("k"))).toBe(1);
  });
});
