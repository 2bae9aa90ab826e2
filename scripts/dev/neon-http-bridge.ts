// Development bridge (npm run dev:edge, the Worker tests, the benchmark): speaks Neon's serverless
// HTTP `/sql` protocol (what `neon()` from @neondatabase/serverless and drizzle's `neon-http` driver
// use) and runs the queries on a real Postgres through `pg`. Development only: it authenticates
// nobody (any connection string is served, Authorization is ignored), so it listens on 127.0.0.1.
//
// Protocol, as implemented by the driver (node_modules/@neondatabase/serverless,
// function `neon()` → `execute`) and by Neon's proxy (proxy/src/serverless/sql_over_http.rs):
//   request:  POST <fetchEndpoint>, JSON body `{query, params}` or `{queries: [{query, params}, ...]}`
//             headers Neon-Connection-String, Neon-Raw-Text-Output: true, Neon-Array-Mode: true,
//             optional Authorization: Bearer <jwt>, and for batches Neon-Batch-Isolation-Level,
//             Neon-Batch-Read-Only, Neon-Batch-Deferrable.
//   success:  200 `{command, rowCount, rowAsArray, fields: [FieldDef], rows}`; batches `{results: [...]}`.
//   failure:  400 `{message, code, detail, hint, position, ...}` → the driver throws NeonDbError with
//             those fields; any other status → NeonDbError("Server error (HTTP status N): <body>").
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";

export interface NeonHttpBridgeOptions {
  /**
   * The real Postgres queries run on: its host and port (default 127.0.0.1:5432). When it names a
   * user, every query runs as that user with its password, whatever the connection string says.
   */
  postgresUrl?: string;
  /** Port to listen on (127.0.0.1); 0 (default) picks a free one. */
  port?: number;
}

export interface NeonHttpBridge {
  /** Full URL the driver must POST to, e.g. `http://127.0.0.1:PORT/sql`. */
  endpoint: string;
  close(): Promise<void>;
}

type QueryData = { query: string; params: unknown[]; arrayMode?: boolean };

// Every value stays in Postgres text format, exactly like Neon with Neon-Raw-Text-Output: true;
// the driver then runs its own pg-types parsers on them.
const identity = (value: string) => value;
const RAW_TEXT = { getTypeParser: () => identity } as unknown as pg.CustomTypesConfig;

// Values of Neon-Batch-Isolation-Level the proxy accepts (anything else is a 400).
const ISOLATION: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

// Error fields the driver copies from a 400 body onto NeonDbError (its list `hi`); pg's DatabaseError
// uses the same property names.
const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

class BadRequest extends Error {}

// The proxy accepts any JSON params and turns them into Postgres text: null stays NULL, strings as-is,
// bool/number/object as JSON text, arrays as array literals (the driver itself only sends strings/null,
// already serialised by pg's prepareValue, with Buffers as "\\x<hex>").
function toPgText(value: unknown, inArray = false): string | null {
  if (value === null || value === undefined) return inArray ? "NULL" : null;
  if (Array.isArray(value)) return `{${value.map((v) => toPgText(v, true)).join(",")}}`;
  if (typeof value === "string") return inArray ? JSON.stringify(value) : value;
  if (typeof value === "object" && inArray) return JSON.stringify(JSON.stringify(value));
  return JSON.stringify(value);
}

function parseQuery(q: unknown): QueryData {
  const { query, params = [], arrayMode } = (q ?? {}) as Record<string, unknown>;
  if (typeof query !== "string") throw new BadRequest("each query needs a string `query`");
  if (!Array.isArray(params)) throw new BadRequest("`params` must be an array");
  if (arrayMode !== undefined && typeof arrayMode !== "boolean") throw new BadRequest("`arrayMode` must be a boolean");
  return { query, params, arrayMode };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // The proxy sets CORS `*` on every answer.
  res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*", ...headers });
  res.end(JSON.stringify(body));
}

export async function startNeonHttpBridge(options: NeonHttpBridgeOptions = {}): Promise<NeonHttpBridge> {
  // The connection strings' hosts are Neon's (or made up): queries go to this server instead.
  const upstream = new URL(options.postgresUrl ?? "postgres://127.0.0.1:5432");
  const upstreamHost = upstream.hostname.replace(/^\[(.*)\]$/, "$1");
  const upstreamPort = Number(upstream.port || 5432);
  const upstreamUser = decodeURIComponent(upstream.username) || undefined;
  const upstreamPassword = decodeURIComponent(upstream.password) || undefined;
  const pools = new Map<string, pg.Pool>();

  // One small pool per (user, database) named by the connection string, so each database is isolated.
  function poolFor(connectionString: string | undefined): pg.Pool {
    if (!connectionString) throw new BadRequest("missing Neon-Connection-String header");
    let url: URL;
    try {
      url = new URL(connectionString);
    } catch {
      throw new BadRequest("Neon-Connection-String is not a valid URL");
    }
    const database = decodeURIComponent(url.pathname.slice(1));
    if (!/^postgres(ql)?:$/.test(url.protocol) || !database) {
      throw new BadRequest("Neon-Connection-String must be postgres(ql)://user@host/database");
    }
    const user = upstreamUser ?? (decodeURIComponent(url.username) || "postgres");
    const password = upstreamUser ? upstreamPassword : decodeURIComponent(url.password) || undefined;
    const key = `${user}\u0000${database}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = new pg.Pool({ host: upstreamHost, port: upstreamPort, user, password, database, max: 4, types: RAW_TEXT });
      pool.on("error", () => {}); // an idle client dying (e.g. DROP DATABASE … FORCE) must not crash the bridge
      pools.set(key, pool);
    }
    return pool;
  }

  async function run(client: pg.PoolClient, q: QueryData, defaultArrayMode: boolean) {
    const arrayMode = q.arrayMode ?? defaultArrayMode; // per-query `arrayMode` in the body beats the header
    // Always the extended protocol (as the proxy's query_raw_txt): one statement per query, params as
    // untyped text. rowMode "array" keeps duplicate column names, which objects would collapse.
    const config = { text: q.query, values: q.params.map((p) => toPgText(p)), rowMode: "array", queryMode: "extended" };
    const result = await client.query(config as pg.QueryArrayConfig);
    const names = result.fields.map((f) => f.name);
    return {
      command: result.command,
      rowCount: result.rowCount, // null for commands without a count (e.g. CREATE TABLE), like the proxy
      rowAsArray: arrayMode,
      fields: result.fields.map(({ name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier }) => ({
        name,
        dataTypeID,
        tableID,
        columnID,
        dataTypeSize,
        dataTypeModifier,
        format: "text",
      })),
      rows: arrayMode ? result.rows : result.rows.map((row) => Object.fromEntries(row.map((v, i) => [names[i], v]))),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://bridge").pathname;
    if (path !== "/sql") return send(res, 404, { message: `no route for ${path}; POST to /sql` });
    if (req.method !== "POST") return send(res, 405, { message: "only POST /sql is supported" });
    // Header semantics from the proxy: only the exact value "true" switches a flag on.
    const header = (name: string) => req.headers[name.toLowerCase()] as string | undefined;
    if (header("Neon-Raw-Text-Output") !== "true") {
      // The driver always sends it; the proxy's JSON-typed output mode is not implemented here.
      throw new BadRequest("this bridge only implements Neon-Raw-Text-Output: true");
    }
    const defaultArrayMode = header("Neon-Array-Mode") === "true";
    const isolationHeader = header("Neon-Batch-Isolation-Level");
    const isolation = isolationHeader === undefined ? undefined : ISOLATION[isolationHeader];
    if (isolationHeader !== undefined && !isolation) throw new BadRequest("invalid isolation level");
    const readOnly = header("Neon-Batch-Read-Only") === "true";
    const deferrable = header("Neon-Batch-Deferrable") === "true";
    // Authorization: Bearer <jwt> (authToken) is accepted and ignored: the local Postgres uses trust auth.

    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      throw new BadRequest(`request body is not valid JSON: ${(err as Error).message}`);
    }
    const raw = (body ?? {}) as Record<string, unknown>;
    const batch = Array.isArray(raw.queries) ? raw.queries.map(parseQuery) : undefined;
    const single = batch ? undefined : parseQuery(body);
    const pool = poolFor(header("Neon-Connection-String"));

    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      if (single) {
        const result = await run(client, single, defaultArrayMode);
        // Like the proxy, never pool a connection left inside a transaction (e.g. a lone `BEGIN`).
        if (client.getTransactionStatus() !== "I") broken = new Error("connection left in a transaction");
        return send(res, 200, result);
      }
      // Batch = sql.transaction([...]): one transaction, tokio-postgres' START TRANSACTION syntax.
      const modes = [isolation && `ISOLATION LEVEL ${isolation}`, readOnly && "READ ONLY", deferrable && "DEFERRABLE"];
      await client.query(`START TRANSACTION ${modes.filter(Boolean).join(", ")}`);
      try {
        const results = [];
        for (const q of batch ?? []) results.push(await run(client, q, defaultArrayMode));
        await client.query("COMMIT");
        // The proxy echoes the batch options it applied as response headers.
        const echoed: Record<string, string> = {};
        if (readOnly) echoed["Neon-Batch-Read-Only"] = "true";
        if (deferrable) echoed["Neon-Batch-Deferrable"] = "true";
        if (isolationHeader) echoed["Neon-Batch-Isolation-Level"] = isolationHeader;
        return send(res, 200, { results }, echoed);
      } catch (err) {
        await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const e = err as Record<string, unknown> & Error;
      if (err instanceof BadRequest) return send(res, 400, { message: e.message });
      // Postgres errors (SQLSTATE present) are 400 with every field the driver reads, null when absent.
      if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) {
        return send(
          res,
          400,
          Object.fromEntries([["message", e.message], ...ERROR_FIELDS.map((k) => [k, e[k] ?? null])]),
        );
      }
      send(res, 500, { message: String(e?.message ?? err) }); // e.g. upstream unreachable
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}/sql`,
    async close() {
      server.closeAllConnections(); // fetch keeps connections alive; don't wait for them to idle out
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((pool) => pool.end()));
      pools.clear();
    },
  };
}
