/**
 * The headers every response carries, on the built Node entry: there the runtime puts them on
 * the outgoing response (AppDeps.presetHeaders) and the response's own of the same name win, so
 * each must arrive once, with the app's value unless the response brought its own (a page's
 * Content-Security-Policy). app.request() and Workers set them on the Response (app.test.ts,
 * worker-middleware.test.ts).
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition } from "../support/prometheus-text.js";
import {
  ADMIN_KEY,
  adminHeaders,
  call,
  cleanupNodes,
  type NodeProcess,
  nodeOnPostgresAndRedis,
} from "../support/runtime-node.js";

afterAll(cleanupNodes, 30_000);

const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const SECURITY = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "strict-transport-security": "max-age=63072000; includeSubDomains",
};
const TRACERESPONSE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

interface Raw {
  status: number;
  /** Every header field as received, by lower-case name (a repeated field keeps each value). */
  fields: Map<string, string[]>;
  body: string;
}

/** One request over node:http, whose rawHeaders show a field sent twice (fetch would join them). */
function raw(server: NodeProcess, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const options = {
      method: body === undefined ? "GET" : "POST",
      headers: {
        "X-Request-Id": "hdr-1",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
    };
    const req = request(`${server.base}${path}`, options, (res) => {
      const fields = new Map<string, string[]>();
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = (res.rawHeaders[i] as string).toLowerCase();
        fields.set(name, [...(fields.get(name) ?? []), res.rawHeaders[i + 1] as string]);
      }
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, fields, body }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The app's headers, each sent once: the security headers, the request's id and trace. */
function expectAppHeaders(answer: Raw, policy: string | RegExp = API_POLICY): void {
  for (const [name, value] of Object.entries(SECURITY)) expect(answer.fields.get(name), name).toEqual([value]);
  expect(answer.fields.get("x-request-id")).toEqual(["hdr-1"]);
  expect(answer.fields.get("traceresponse")).toEqual([expect.stringMatching(TRACERESPONSE)]);
  const csp = answer.fields.get("content-security-policy");
  expect(csp).toEqual([typeof policy === "string" ? policy : expect.stringMatching(policy)]);
  for (const [name, values] of answer.fields) expect(values, `${name} sent once`).toHaveLength(1);
}

describe("response headers on the Node entry", () => {
  const node = nodeOnPostgresAndRedis();
  let clientId: string;

  beforeAll(async () => {
    const client = await call(node.server, "/t/default/v1/admin/clients", {
      method: "POST",
      headers: adminHeaders(ADMIN_KEY),
      body: JSON.stringify({
        type: "public",
        name: "Headers",
        redirect_uris: ["https://app.example/cb"],
        post_logout_redirect_uris: ["https://app.example/bye"],
      }),
    });
    expect(client.status, client.text).toBe(201);
    clientId = client.json.client_id as string;
  }, 60_000);

  it("a JSON response", async () => {
    const answer = await raw(node.server, "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.fields.get("content-type")).toEqual(["application/json"]);
    expectAppHeaders(answer);
  });

  it("a problem+json error and a 404", async () => {
    const unauthorized = await raw(node.server, "/v1/admin/tenants");
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.fields.get("content-type")).toEqual(["application/problem+json"]);
    expect(unauthorized.fields.get("www-authenticate")).toHaveLength(1);
    expectAppHeaders(unauthorized);
    const missing = await raw(node.server, `/no/such/route-${randomBytes(4).toString("hex")}`);
    expect(missing.status).toBe(404);
    expect(missing.fields.get("content-type")).toEqual(["application/problem+json"]);
    expectAppHeaders(missing);
  });

  it("a hosted page keeps its own policy, not the API's", async () => {
    const page = await raw(node.server, "/t/default/login", { Accept: "text/html" });
    expect(page.status).toBe(200);
    expect(page.fields.get("content-type")?.[0]).toMatch(/^text\/html/);
    expectAppHeaders(page, /^default-src 'none'; style-src 'self' 'nonce-[^']+';.* form-action 'self'/);
    const nonce = /'nonce-([^']+)'/.exec(page.fields.get("content-security-policy")?.[0] ?? "")?.[1];
    expect(page.body).toContain(`nonce="${nonce}"`);
    const home = await raw(node.server, "/", { Accept: "text/html" });
    expect(home.fields.get("vary")).toEqual(["Accept"]);
    expectAppHeaders(home, /^default-src 'none'; style-src 'self' 'nonce-/);
  });

  it("/docs keeps its own policy", async () => {
    const docs = await raw(node.server, "/docs");
    expect(docs.status).toBe(200);
    expectAppHeaders(docs, /^default-src 'none'; script-src 'nonce-[^']+'; style-src 'nonce-/);
  });

  it("a redirect", async () => {
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: "https://app.example/cb",
      scope: "openid",
      state: "s",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });
    const answer = await raw(node.server, `/t/default/authorize?${query}`);
    expect(answer.status, answer.body).toBe(302);
    expect(answer.fields.get("location")?.[0]).toMatch(/^\/t\/default\/login\?request=/);
    expectAppHeaders(answer);
  });

  it("a token response: not stored, with the limiter's quota, each once", async () => {
    const signup = await raw(
      node.server,
      "/t/default/v1/signup",
      {},
      {
        email: `headers-${randomBytes(4).toString("hex")}@example.com`,
        password: "correct horse battery staple",
      },
    );
    expect(signup.status, signup.body).toBe(201);
    const refresh = (token: unknown) => raw(node.server, "/t/default/v1/token/refresh", {}, { refresh_token: token });
    const refreshed = await refresh(JSON.parse(signup.body).refresh_token);
    const refused = await refresh("not-a-refresh-token");
    expect([refreshed.status, refused.status], refused.body).toEqual([200, 401]);
    for (const answer of [signup, refreshed, refused]) {
      expect(answer.fields.get("ratelimit-limit")).toEqual([expect.stringMatching(/^\d+$/)]);
      expect(answer.fields.get("ratelimit-policy")).toEqual([expect.stringMatching(/^\d+;w=\d+$/)]);
      expectAppHeaders(answer);
    }
    for (const tokens of [signup, refreshed]) expect(tokens.fields.get("cache-control")).toEqual(["no-store"]);
    expect(refreshed.fields.get("content-type")).toEqual(["application/json"]);
    expect(Number(refreshed.fields.get("content-length"))).toBe(Buffer.byteLength(refreshed.body));
  });

  it("the JWKS, and its 304 with the same validators (RFC 9110 §15.4.5)", async () => {
    const jwks = await raw(node.server, "/t/default/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    expect(jwks.fields.get("content-type")).toEqual(["application/json"]);
    expect(jwks.fields.get("cache-control")).toEqual([expect.stringMatching(/^public, max-age=\d+$/)]);
    expectAppHeaders(jwks);
    const etag = jwks.fields.get("etag")?.[0] as string;
    const unchanged = await raw(node.server, "/t/default/.well-known/jwks.json", { "If-None-Match": etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBe("");
    expect(unchanged.fields.get("etag")).toEqual([etag]);
    expect(unchanged.fields.get("cache-control")).toEqual(jwks.fields.get("cache-control"));
    expectAppHeaders(unchanged);
  });

  it("what Node's parser refuses: problem+json with X-Request-Id, then the connection closes", async () => {
    const exchange = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const { port, hostname } = new URL(node.server.base);
        const socket = connect(Number(port), hostname, () => socket.end(bytes));
        let text = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => (text += chunk));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
    const countOf = async (status: number, method: string) => {
      const scrape = await raw(node.server, "/metrics");
      return parseExposition(scrape.body).value("authority_http_requests_total", {
        method,
        route: "unmatched",
        status: String(status),
      });
    };
    const before = { 431: await countOf(431, "unknown"), 400: await countOf(400, "unknown") };
    const cases = [
      [`GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431, "headers_too_large"],
      ["NOT HTTP AT ALL\r\n\r\n", 400, "malformed_request"],
    ] as const;
    /** Each refusal's X-Request-Id, with the request line it should have. */
    const refused: { id: string; status: number; code: string; method: string }[] = [];
    for (const [bytes, status, code] of cases) {
      const answer = await exchange(bytes);
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
      expect(head).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
      expect(head).toMatch(/\r\nConnection: close(\r\n|$)/);
      expect(JSON.parse(body)).toMatchObject({ status, code });
      refused.push({ id: /\r\nX-Request-Id: ([0-9a-f-]{36})/.exec(head)?.[1] ?? "", status, code, method: "unknown" });
    }
    // What the adapter refuses before the app sees the request (a backslash in the path, a Host that is no host):
    // the same problem+json with an X-Request-Id, not a bare 400.
    for (const bytes of [
      "GET /t/acme/.well-known\\jwks.json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: a@b\r\nConnection: close\r\n\r\n",
    ]) {
      const [head = "", body = ""] = (await exchange(bytes)).split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
      expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
      expect(JSON.parse(body)).toMatchObject({ status: 400, code: "malformed_request" });
      const id = /\r\nx-request-id: ([0-9a-f-]{36})/i.exec(head)?.[1] ?? "";
      refused.push({ id, status: 400, code: "malformed_request", method: "GET" });
    }
    // Each has its `request` line (docs/operations.md: one per request, refused ones too) and is counted.
    const lineOf = (id: string) =>
      node.server
        .output()
        .split("\n")
        .filter((line) => line.includes(`"request_id":"${id}"`))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const { id, status, code, method } of refused) {
      await expect.poll(() => lineOf(id).length, { timeout: 2_000 }).toBe(1);
      expect(lineOf(id)[0]).toMatchObject({
        event: "request",
        method,
        route: "unmatched",
        status,
        refused: code,
        remote_address: expect.stringMatching(/127\.0\.0\.1/),
      });
    }
    expect(await countOf(431, "unknown")).toBe(before[431] + 1);
    expect(await countOf(400, "unknown")).toBe(before[400] + 1);
    expect(await countOf(400, "GET")).toBeGreaterThanOrEqual(2);
    // The server goes on serving.
    expect((await raw(node.server, "/healthz")).status).toBe(200);
  });
});
