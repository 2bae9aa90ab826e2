import { randomBytes, randomUUID } from "node:crypto";
import { errors, Redis } from "@upstash/redis";
import { Redis as CloudflareRedis } from "@upstash/redis/cloudflare";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashBridge, type UpstashBridge } from "../../scripts/dev/upstash-rest-bridge.js";
import { REDIS_URL } from "../support/services.js";

const TOKEN = `bridge-token-${randomBytes(8).toString("hex")}`;
const PREFIX = `test:upstash-bridge:${randomUUID()}:`;
const k = (name: string) => PREFIX + name;
const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

let bridge: UpstashBridge;
let direct: IORedis; // a plain ioredis connection, to check what really landed in Redis
const clients: Record<string, Redis> = {};

/** Raw request against the bridge, for asserting the wire format the client never shows. */
async function raw(path: string, body: unknown, headers: Record<string, string> = {}, method = "POST") {
  const res = await fetch(bridge.url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    body:
      body === undefined
        ? undefined
        : body instanceof Uint8Array
          ? new Uint8Array(body) // raw bytes (a copy typed as ArrayBuffer-backed, as BodyInit wants)
          : typeof body === "string"
            ? body
            : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}
const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

beforeAll(async () => {
  bridge = await startUpstashBridge({ token: TOKEN, redisUrl: REDIS_URL });
  direct = new IORedis(REDIS_URL);
  const common = { url: bridge.url, token: bridge.token, enableTelemetry: false, retry: false as const };
  // Default client: auto-pipelining, so most commands travel as POST /pipeline with base64 replies.
  clients.autoPipelined = new Redis(common);
  // One command per request: POST / with a JSON array body.
  clients.singleCommand = new Redis({ ...common, enableAutoPipelining: false });
  // No Upstash-Encoding header: the bridge must answer plain UTF-8 JSON strings.
  clients.plainEncoding = new Redis({ ...common, enableAutoPipelining: false, responseEncoding: false });
});

afterAll(async () => {
  const keys = await direct.keys(`${PREFIX}*`);
  if (keys.length > 0) await direct.del(...keys);
  expect(await direct.keys(`${PREFIX}*`)).toEqual([]);
  await direct.quit();
  await bridge.close();
});

describe.each(["autoPipelined", "singleCommand", "plainEncoding"])("through the real client (%s)", (mode) => {
  const redis = () => clients[mode] as Redis;
  const key = (name: string) => k(`${mode}:${name}`);

  it("SET answers OK or null (NX/XX) and GET round-trips, with EX/PX ttls landing in Redis", async () => {
    expect(await redis().set(key("s"), "v1")).toBe("OK");
    expect(await redis().get(key("s"))).toBe("v1");
    expect(await redis().set(key("s"), "v2", { nx: true })).toBeNull();
    expect(await redis().get(key("s"))).toBe("v1");
    expect(await redis().set(key("s"), "v3", { xx: true })).toBe("OK");
    expect(await redis().set(key("fresh"), "v", { nx: true, px: 5_000 })).toBe("OK");
    expect(await redis().set(key("ex"), "v", { ex: 100 })).toBe("OK");
    expect(await redis().get(key("missing"))).toBeNull();

    expect(await direct.get(key("s"))).toBe("v3");
    const px = await direct.pttl(key("fresh"));
    expect(px).toBeGreaterThan(0);
    expect(px).toBeLessThanOrEqual(5_000);
    const ex = await direct.ttl(key("ex"));
    expect(ex).toBeGreaterThan(90);
    expect(ex).toBeLessThanOrEqual(100);
  });

  it("does the client's automatic JSON (de)serialisation", async () => {
    const value = { id: 7, name: "Zoë", tags: ["a", "b"], nested: { ok: true, n: null } };
    await redis().set(key("json"), value);
    expect(await direct.get(key("json"))).toBe(JSON.stringify(value));
    expect(await redis().get(key("json"))).toEqual(value);
    await redis().set(key("num"), 42);
    expect(await direct.get(key("num"))).toBe("42");
    expect(await redis().get<number>(key("num"))).toBe(42);
  });

  it("round-trips unicode and binary-ish strings byte for byte", async () => {
    const samples = ["héllo wörld ✓ 🚀 日本語", "line\r\nbreak\ttab\u0000nul\u0001", "T0s=", "OK", "   ", "\u{10FFFF}"];
    for (const [i, s] of samples.entries()) {
      await redis().set(key(`u${i}`), s);
      expect(await direct.getBuffer(key(`u${i}`))).toEqual(Buffer.from(s, "utf8"));
      expect(await redis().get(key(`u${i}`))).toBe(s);
    }
  });

  it("DEL / EXISTS / INCR / EXPIRE / PTTL return Redis integers", async () => {
    await redis().set(key("a"), "1");
    await redis().set(key("b"), "2");
    expect(await redis().exists(key("a"), key("b"), key("nope"))).toBe(2);
    expect(await redis().del(key("a"), key("b"), key("nope"))).toBe(2);
    expect(await redis().exists(key("a"))).toBe(0);
    expect(await redis().incr(key("n"))).toBe(1);
    expect(await redis().incrby(key("n"), 5)).toBe(6);
    expect(await redis().pttl(key("n"))).toBe(-1);
    expect(await redis().expire(key("n"), 100)).toBe(1);
    const pttl = await redis().pttl(key("n"));
    expect(pttl).toBeGreaterThan(90_000);
    expect(pttl).toBeLessThanOrEqual(100_000);
    expect(await redis().expire(key("nope"), 100)).toBe(0);
    expect(await redis().pttl(key("nope"))).toBe(-2);
  });

  it("HGETALL keeps Redis's flat array on the wire so the client builds the object", async () => {
    await redis().hset(key("h"), { f1: "v1", f2: 2 });
    expect(await redis().hgetall(key("h"))).toEqual({ f1: "v1", f2: 2 });
  });

  it("raises WRONGTYPE as an UpstashError carrying the Redis message", async () => {
    await redis().set(key("str"), "x");
    const err = await redis()
      .hget(key("str"), "f")
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(errors.UpstashError);
    expect((err as Error).message).toContain(WRONGTYPE);
  });
});

describe("Lua scripts", () => {
  const redis = () => clients.singleCommand as Redis;
  const lua =
    "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], redis.call('GET', KEYS[1]), tonumber(ARGV[2]) + 1}";

  it("EVAL returns nested replies with their types", async () => {
    for (const c of [clients.autoPipelined, clients.singleCommand, clients.plainEncoding] as Redis[]) {
      expect(await c.eval(lua, [k("lua")], ["héllo", "41"])).toEqual([k("lua"), "héllo", 42]);
    }
    expect(await direct.get(k("lua"))).toBe("héllo");
    expect(await redis().eval("return nil", [], [])).toBeNull();
  });

  it("EVALSHA runs a loaded script and answers NOSCRIPT for an unknown one", async () => {
    const sha = await redis().scriptLoad(lua);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis().evalsha(sha, [k("sha")], ["x", "1"])).toEqual([k("sha"), "x", 2]);
    await expect(redis().evalsha("0".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it.each(["autoPipelined", "singleCommand"])("createScript falls back from NOSCRIPT to EVAL (%s)", async (mode) => {
    const c = clients[mode] as Redis;
    const script = c.createScript<string>(`return ARGV[1] .. ':${mode}:' .. KEYS[1]`);
    await direct.script("FLUSH");
    await expect(script.evalsha([k("s")], ["hi"])).rejects.toThrow(/NOSCRIPT/);
    expect(await script.exec([k("s")], ["hi"])).toBe(`hi:${mode}:${k("s")}`);
    // The fallback EVAL cached the script, so EVALSHA now succeeds.
    expect(await c.scriptExists(script.sha1)).toEqual([1]);
    expect(await script.evalsha([k("s")], ["again"])).toBe(`again:${mode}:${k("s")}`);
  });

  it("works with the Workers client configured like the project's adapter", async () => {
    const cf = new CloudflareRedis({
      url: bridge.url,
      token: bridge.token,
      automaticDeserialization: false,
      retry: { retries: 2, backoff: () => 0 },
      enableTelemetry: false,
    });
    const script = cf.createScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    await direct.script("FLUSH");
    expect(await script.exec([k("cf")], ["5"])).toBe(5);
    expect(await script.exec([k("cf")], ["2"])).toBe(7);
    expect(await cf.set(k("cf-s"), '{"a":1}', { px: 1_000, nx: true })).toBe("OK");
    expect(await cf.get(k("cf-s"))).toBe('{"a":1}');
  });
});

describe("pipelines and transactions", () => {
  it("a pipeline runs every command and answers per command", async () => {
    const redis = clients.singleCommand as Redis;
    const res = await redis
      .pipeline()
      .set(k("p"), "1")
      .incr(k("p"))
      .get(k("p"))
      .hset(k("ph"), { f: "v" })
      .hgetall(k("ph"))
      .exec();
    expect(res).toEqual(["OK", 2, 2, 1, { f: "v" }]);

    const p = redis.pipeline().set(k("p2"), "x").hget(k("p2"), "f").set(k("p3"), "y");
    await expect(p.exec()).rejects.toThrow(/Command 2 \[ hget \] failed: WRONGTYPE/);
    // Not atomic: the command after the failure still ran.
    expect(await direct.get(k("p3"))).toBe("y");
    const kept = await redis.pipeline().get(k("p2")).hget(k("p2"), "f").exec({ keepErrors: true });
    expect(kept[0]).toEqual({ error: undefined, result: "x" });
    expect(kept[1]?.error).toContain(WRONGTYPE);
  });

  it("multi/exec runs atomically as a real MULTI/EXEC", async () => {
    const redis = clients.singleCommand as Redis;
    const before = await execCalls();
    const res = await redis.multi().set(k("m"), "x").append(k("m"), "y").get(k("m")).incr(k("mc")).exec();
    expect(res).toEqual(["OK", 2, "xy", 1]);
    expect(await execCalls()).toBeGreaterThan(before);

    // A command that fails to queue discards the whole transaction (EXECABORT): nothing is written.
    const aborted = await raw("/multi-exec", [
      ["SET", k("ma"), "1"],
      ["NOSUCHCOMMAND", "x"],
      ["SET", k("mb"), "2"],
    ]);
    expect(aborted.status).toBe(400);
    expect(aborted.json).toEqual({ error: expect.stringMatching(/^EXECABORT.*unknown command/) });
    expect(await direct.exists(k("ma"), k("mb"))).toBe(0);
    // The same batch as a pipeline is not atomic: the valid commands run.
    const piped = await raw("/pipeline", [
      ["SET", k("ma"), "1"],
      ["NOSUCHCOMMAND", "x"],
      ["SET", k("mb"), "2"],
    ]);
    expect(piped.status).toBe(200);
    expect(piped.json).toEqual([
      { result: "OK" },
      { error: expect.stringMatching(/unknown command/) },
      { result: "OK" },
    ]);
    expect(await direct.exists(k("ma"), k("mb"))).toBe(2);

    // A runtime error inside EXEC fails that command only, and the client reports it.
    await expect(redis.multi().set(k("mr"), "s").hget(k("mr"), "f").exec()).rejects.toThrow(WRONGTYPE);
  });

  async function execCalls(): Promise<number> {
    const info = await direct.info("commandstats");
    return Number(/cmdstat_exec:calls=(\d+)/.exec(info)?.[1] ?? 0);
  }
});

describe("client options", () => {
  it("automaticDeserialization: false hands back raw strings", async () => {
    const redis = new Redis({
      url: bridge.url,
      token: bridge.token,
      enableTelemetry: false,
      automaticDeserialization: false,
    });
    await redis.set(k("raw-json"), { a: 1 });
    expect(await redis.get(k("raw-json"))).toBe('{"a":1}');
    await redis.set(k("raw-num"), "123");
    expect(await redis.get(k("raw-num"))).toBe("123");
    expect(await clients.singleCommand?.get(k("raw-num"))).toBe(123);
    expect(await redis.incr(k("raw-num"))).toBe(124);
    expect(await redis.mget(k("raw-json"), k("nope"))).toEqual(['{"a":1}', null]);
  });

  it("a wrong token is rejected with 401 and the client raises", async () => {
    const wrong = new Redis({ url: bridge.url, token: "not-the-token", enableTelemetry: false, retry: false });
    await expect(wrong.get(k("s"))).rejects.toThrow(/Unauthorized/);
    await expect(wrong.pipeline().get(k("s")).exec()).rejects.toThrow(errors.UpstashError);
    const res = await fetch(bridge.url, { method: "POST", body: JSON.stringify(["PING"]) });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Unauthorized" });
  });

  it("advances the read-your-writes sync token the client echoes", async () => {
    const redis = clients.singleCommand as Redis;
    await redis.ping();
    const first = Number(redis.readYourWritesSyncToken);
    await redis.ping();
    expect(first).toBeGreaterThan(0);
    expect(Number(redis.readYourWritesSyncToken)).toBeGreaterThan(first);
  });
});

describe("wire format", () => {
  const base64 = { "upstash-encoding": "base64" };

  it("base64-encodes bulk strings, keeps OK, integers and null as JSON", async () => {
    expect((await raw("/", ["SET", k("w"), "héllo"], base64)).json).toEqual({ result: "OK" });
    const got = await raw("/", ["GET", k("w")], base64);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("application/json");
    expect(got.headers.get("upstash-sync-token")).toMatch(/^\d+$/);
    expect(got.text).toBe(`{"result":"${b64("héllo")}"}`);
    expect((await raw("/", ["GET", k("w")])).json).toEqual({ result: "héllo" });
    expect((await raw("/", ["INCR", k("wn")], base64)).json).toEqual({ result: 1 });
    expect((await raw("/", ["MGET", k("w"), k("nope")], base64)).json).toEqual({ result: [b64("héllo"), null] });
    expect((await raw("/", ["PING"], base64)).json).toEqual({ result: b64("PONG") });
  });

  it("is binary-safe both ways", async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3, 0x28]);
    await direct.set(k("bin"), bytes);
    expect((await raw("/", ["GET", k("bin")], base64)).json).toEqual({ result: bytes.toString("base64") });
    // Path style with the raw POST body as the value and the rest as query params.
    const put = await raw(`/set/${encodeURIComponent(k("bin2"))}?EX=100`, bytes, base64);
    expect(put.json).toEqual({ result: "OK" });
    expect(await direct.getBuffer(k("bin2"))).toEqual(bytes);
    expect(await direct.ttl(k("bin2"))).toBeGreaterThan(90);
  });

  it("accepts path-style GET commands and the _token query parameter", async () => {
    await direct.set(k("path"), "a/b c");
    const res = await fetch(`${bridge.url}/get/${encodeURIComponent(k("path"))}?_token=${TOKEN}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: "a/b c" });
  });

  it("answers Redis errors with 400 and {error}, pipelines with per-command errors", async () => {
    await direct.set(k("e"), "x");
    const single = await raw("/", ["HGET", k("e"), "f"], base64);
    expect(single.status).toBe(400);
    expect(single.json).toEqual({ error: WRONGTYPE });
    const piped = await raw(
      "/pipeline",
      [
        ["GET", k("e")],
        ["HGET", k("e"), "f"],
      ],
      base64,
    );
    expect(piped.status).toBe(200);
    expect(piped.json).toEqual([{ result: b64("x") }, { error: WRONGTYPE }]);
    const noscript = await raw("/", ["EVALSHA", "0".repeat(40), "0"]);
    expect(noscript).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^NOSCRIPT/) } });
  });

  it("rejects malformed requests with a clear 400 and keeps serving", async () => {
    const cases: [string, unknown][] = [
      ["/", "{not json"],
      ["/", { command: "GET" }],
      ["/", []],
      ["/", ""],
      ["/", ["SET", k("x"), { nested: true }]],
      ["/pipeline", []],
      ["/pipeline", [["PING"], "GET"]],
      ["/pipeline", [[]]],
      ["/multi-exec", "nope"],
      ["/", ["SUBSCRIBE", "chan"]],
      ["/", ["SELECT", "1"]],
    ];
    for (const [path, body] of cases) {
      const res = await raw(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json).toEqual({ error: expect.stringMatching(/^(ERR|EXECABORT) .+/) });
    }
    expect((await raw("/", undefined, {}, "DELETE")).status).toBe(405);
    expect(await clients.singleCommand?.ping()).toBe("PONG");
  });
});
