// Development bridge (npm run dev:edge, the Worker tests, the benchmark): speaks the Upstash Redis
// REST protocol (as used by @upstash/redis 1.39's HttpClient) and runs every command on a real Redis
// through ioredis. Development only: one shared token, no TLS, so it listens on 127.0.0.1.
//
// Protocol summary (client source: node_modules/@upstash/redis/chunk-*.mjs, class HttpClient):
// - every client request is POST <base>[/pipeline | /multi-exec] with a JSON body, headers
//   `Authorization: Bearer <token>`, `Upstash-Encoding: base64` (default), `upstash-sync-token`
//   (read-your-writes) and `Upstash-Telemetry-*` (ignored here).
// - replies: `{ "result": ... }` / `{ "error": "..." }`; batches answer an array of those.
// - Upstash's REST docs also allow path-style commands (`GET /set/foo/bar`), a raw POST body as
//   the last argument, query params appended after it, and `?_token=` instead of the header.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis as IORedis } from "ioredis";

export interface UpstashBridge {
  url: string;
  token: string;
  close(): Promise<void>;
}

type Arg = string | Buffer;
type Outcome = { result: unknown } | { error: string };

/** Connection-state and streaming commands: meaningless over stateless REST on a shared connection. */
const REJECTED = new Set(
  "SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE MONITOR SELECT QUIT RESET HELLO AUTH MULTI EXEC DISCARD WATCH UNWATCH CLIENT".split(
    " ",
  ),
);

/** A malformed request: answered 400 before anything reaches Redis. */
class BadRequest extends Error {}

const isReplyError = (e: unknown): e is Error => e instanceof Error && e.name === "ReplyError";
const rejectedMessage = (name: string) => `ERR command '${name}' is not supported by the Upstash REST bridge`;

/** Turns one JSON command (["set", "k", 1, true]) into Redis arguments, as Upstash does. */
function toCommand(raw: unknown): Arg[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new BadRequest("ERR command must be a non-empty JSON array");
  return raw.map((v) => {
    // The client sends numbers and booleans unquoted (its defaultSerializer keeps them); Redis gets their text.
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
    throw new BadRequest(`ERR command arguments must be strings, numbers or booleans, got ${JSON.stringify(v)}`);
  });
}

/**
 * Encodes an ioredis `callBuffer` reply as Upstash does. With `Upstash-Encoding: base64` every string
 * is base64 except the "OK" status (the client's decode() passes "OK" through and atob()s the rest);
 * integers stay JSON numbers, nil stays null, arrays recurse. Without it strings are plain UTF-8.
 */
function encode(reply: unknown, base64: boolean): unknown {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "number") return reply;
  if (Array.isArray(reply)) return reply.map((v) => encode(v, base64));
  // A nested error (e.g. a Lua table holding redis.error_reply) is surfaced as its message string.
  const buf = Buffer.isBuffer(reply) ? reply : Buffer.from(reply instanceof Error ? reply.message : String(reply));
  if (!base64) return buf.toString("utf8");
  // ioredis hands status and bulk replies alike as Buffers, so a bulk "OK" is also sent bare; it decodes the same.
  return buf.length === 2 && buf.toString("latin1") === "OK" ? "OK" : buf.toString("base64");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new BadRequest(`ERR request body is not valid JSON: ${(e as Error).message}`);
  }
}

export async function startUpstashBridge(options: {
  /** The bearer token clients must send (UPSTASH_REDIS_REST_TOKEN). */
  token: string;
  /** The real Redis (default redis://127.0.0.1:6379). */
  redisUrl?: string;
  /** Port to listen on (127.0.0.1); 0 (default) picks a free one. */
  port?: number;
}): Promise<UpstashBridge> {
  const redis = new IORedis(options.redisUrl ?? "redis://127.0.0.1:6379", {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
  });
  await redis.connect();
  let syncToken = 0;

  /** One command. Names are upper-cased so ioredis applies none of its lower-case reply/argument
   *  transformers (it would turn HGETALL's array into an object); replies keep their Redis types. */
  async function runOne([name, ...args]: Arg[]): Promise<unknown> {
    const upper = String(name).toUpperCase();
    if (REJECTED.has(upper)) throw new BadRequest(rejectedMessage(upper));
    return redis.callBuffer(upper, ...args);
  }

  /** /pipeline (independent commands) or /multi-exec (a real MULTI/EXEC): one outcome per command. */
  async function runBatch(commands: Arg[][], atomic: boolean, base64: boolean): Promise<Outcome[]> {
    const names = commands.map(([name]) => String(name).toUpperCase());
    const refused = names.find((n) => REJECTED.has(n));
    // In a transaction one bad command discards the lot, like Redis's own EXECABORT.
    if (atomic && refused)
      throw new BadRequest(`EXECABORT Transaction discarded because of previous errors. ${rejectedMessage(refused)}`);
    const out: Outcome[] = [];
    const queued: number[] = [];
    const batch = atomic ? redis.multi() : redis.pipeline();
    commands.forEach(([, ...args], i) => {
      const name = names[i] as string;
      if (REJECTED.has(name)) {
        out[i] = { error: rejectedMessage(name) };
      } else {
        queued.push(i);
        batch.callBuffer(name, ...args);
      }
    });
    if (queued.length === 0) return out;
    let replies: [Error | null, unknown][];
    try {
      replies = (await batch.exec()) ?? [];
    } catch (e) {
      if (!isReplyError(e)) throw e;
      // EXECABORT (a command failed to queue: unknown command, wrong arity): nothing ran. Name the cause.
      const previous = (e as { previousErrors?: Error[] }).previousErrors ?? [];
      e.message = [e.message, ...previous.map((p) => p.message)].join(" ");
      throw e;
    }
    replies.forEach(([err, value], j) => {
      out[queued[j] as number] = err ? { error: err.message } : { result: encode(value, base64) };
    });
    return out;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    // Upstash accepts HEAD, GET, POST and PUT; anything else is 405.
    if (!["GET", "HEAD", "POST", "PUT"].includes(method)) return send(res, 405, { error: "Method Not Allowed" });
    const url = new URL(req.url ?? "/", "http://bridge");
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : url.searchParams.get("_token");
    if (token !== options.token) return send(res, 401, { error: "Unauthorized" });

    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    // Read-your-writes: the client stores this header and echoes it on its next request. One Redis
    // is trivially consistent, so any advancing value is faithful.
    res.setHeader("upstash-sync-token", String(++syncToken));
    const body = await readBody(req);
    let segments: string[];
    try {
      segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new BadRequest("ERR malformed percent-encoding in path");
    }

    const route = segments.length === 1 ? segments[0] : undefined;
    if (route === "pipeline" || route === "multi-exec") {
      if (method !== "POST") return send(res, 405, { error: "Method Not Allowed" });
      const parsed = parseJson(body);
      if (!Array.isArray(parsed) || parsed.length === 0) {
        throw new BadRequest("ERR pipeline body must be a non-empty JSON array of commands");
      }
      return send(res, 200, await runBatch(parsed.map(toCommand), route === "multi-exec", base64));
    }

    let command: Arg[];
    if (segments.length === 0) {
      // The client's single command: the whole command as a JSON array body.
      if (body.length === 0) throw new BadRequest("ERR empty request body; expected a JSON array command");
      command = toCommand(parseJson(body));
    } else {
      // Path style: /cmd/arg1/..., then a raw POST/PUT body (binary-safe), then query params as `key value`.
      command = [...segments];
      if (body.length > 0) command.push(body);
      for (const [key, value] of url.searchParams) {
        if (key === "_token") continue;
        command.push(key);
        if (value !== "") command.push(value);
      }
    }
    return send(res, 200, { result: encode(await runOne(command), base64) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      // Upstash answers 400 for malformed requests and for Redis errors (the client then throws
      // UpstashError with the Redis message, which is what Script's NOSCRIPT fallback looks for).
      if (e instanceof BadRequest || isReplyError(e)) return send(res, 400, { error: e.message });
      send(res, 500, { error: `ERR bridge failure: ${e instanceof Error ? e.message : String(e)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token: options.token,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // fetch keeps sockets alive; drop them so close() does not wait for their idle timeout.
        server.closeAllConnections();
      });
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
