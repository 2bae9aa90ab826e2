/**
 * The SDK's middleware against the real service, each mounted the way an
 * application would: Hono (`@authority/sdk/hono`, requests through
 * app.request), Express-style (`@authority/sdk/express` on a real node:http
 * server), and the fetch-handler wrapper (`withAuth` from the main entry).
 * The same table of requests runs through all three: RFC 6750 challenges
 * (no error code without a token, invalid_token, invalid_request,
 * insufficient_scope with the scope), problem+json bodies, principals for
 * access tokens and API keys, revocation, and 503 when keys are unreachable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AuthOptions, type AuthPrincipal, createApiKeyVerifier, createVerifier, withAuth } from "@authority/sdk";
import * as express from "@authority/sdk/express";
import * as hono from "@authority/sdk/hono";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { type SdkHarness, type Signed, startSdkHarness } from "./support.js";

const TENANT = "mw";
let h: SdkHarness;
let user: Signed;
let emailKey: string;
let auth: AuthOptions;
let down: AuthOptions;
let node: Server;
let nodeBase: string;

type Call = (path: string, authorization?: string) => Promise<Response>;
const runtimes: Record<string, Call> = {};

const ROUTES: [string, string[]][] = [
  ["/me", []],
  ["/email", ["email"]],
  ["/admin", ["admin"]],
  ["/profile", ["profile"]],
];

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant(TENANT);
  const service = await h.serviceKey(TENANT, ["api_keys:verify", "tokens:introspect"]);
  user = await h.signup(TENANT);
  const created = await fetch(`${h.issuer(TENANT)}/v1/api-keys`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${user.access_token}` },
    body: JSON.stringify({ name: "reports", scopes: ["openid", "email"] }),
  });
  emailKey = ((await created.json()) as { key: string }).key;
  auth = {
    tokens: createVerifier({
      issuer: h.issuer(TENANT),
      audience: h.issuer(TENANT),
      checkRevocation: "introspect",
      introspection: { apiKey: service.key, cacheTtlMs: 0 },
    }),
    apiKeys: createApiKeyVerifier({ issuer: h.issuer(TENANT), apiKey: service.key, cacheTtlMs: 0 }),
  };
  down = { tokens: { issuer: h.issuer(TENANT), audience: h.issuer(TENANT), jwksUrl: "http://127.0.0.1:9/jwks.json" } };

  // Hono
  const app = new Hono<hono.AuthEnv>();
  app.use("/down", hono.requireAuth(down));
  app.use("*", hono.requireAuth(auth));
  for (const [path, scopes] of ROUTES) app.get(path, hono.requireScope(...scopes), (c) => c.json(c.get("auth")));
  app.get("/down", (c) => c.json(c.get("auth")));
  runtimes.hono = async (path, authorization) =>
    app.request(path, { headers: authorization === undefined ? {} : { Authorization: authorization } });

  // Express-style on node:http: a minimal middleware chain as Express would run it.
  const authenticate = express.requireAuth(auth);
  const authenticateDown = express.requireAuth(down);
  type Step = (
    req: IncomingMessage & { auth?: AuthPrincipal },
    res: ServerResponse,
    next: (e?: unknown) => void,
  ) => void;
  const chain = (steps: Step[]) => (req: IncomingMessage, res: ServerResponse) => {
    const run = (i: number, error?: unknown) => {
      if (error) {
        res.statusCode = 500;
        res.end(String(error));
        return;
      }
      steps[i]?.(req, res, (e) => run(i + 1, e));
    };
    run(0);
  };
  const send: Step = (req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(req.auth));
  };
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  for (const [path, scopes] of ROUTES) routes.set(path, chain([authenticate, express.requireScope(...scopes), send]));
  routes.set("/down", chain([authenticateDown, send]));
  routes.set("/scope-only", chain([express.requireScope("email"), send]));
  node = createServer((req, res) => routes.get(req.url ?? "")?.(req, res));
  await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", resolve));
  nodeBase = `http://127.0.0.1:${(node.address() as { port: number }).port}`;
  runtimes.express = (path, authorization) =>
    fetch(`${nodeBase}${path}`, { headers: authorization === undefined ? {} : { Authorization: authorization } });

  // fetch handler
  const handlers = new Map<string, (request: Request) => Promise<Response>>();
  for (const [path, scopes] of ROUTES) {
    handlers.set(
      path,
      withAuth(async (_request, principal) => Response.json(principal), { ...auth, scopes }),
    );
  }
  handlers.set(
    "/down",
    withAuth(async (_request, principal) => Response.json(principal), down),
  );
  runtimes.fetch = async (path, authorization) => {
    const request = new Request(`https://service.example${path}`, {
      headers: authorization === undefined ? {} : { Authorization: authorization },
    });
    return (handlers.get(path) as (r: Request) => Promise<Response>)(request);
  };
});
afterAll(async () => {
  await new Promise((resolve) => node?.close(resolve));
  await h?.close();
});

async function problem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:authority:problem:${code}` });
  return body;
}

describe.each(["hono", "express", "fetch"])("%s middleware", (name) => {
  const call: Call = (path, authorization) => (runtimes[name] as Call)(path, authorization);
  const realm = () => `Bearer realm="${h.issuer(TENANT)}"`;

  it("answers 401 with a bare challenge when no Bearer credential was sent", async () => {
    for (const authorization of [undefined, "Basic dXNlcjpwYXNz", "Bearerx abc", "Token abc"]) {
      const response = await call("/me", authorization);
      await problem(response, 401, "unauthorized");
      expect(response.headers.get("www-authenticate")).toBe(realm());
    }
  });

  it("answers 400 invalid_request to a malformed Bearer credential", async () => {
    for (const authorization of ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b"]) {
      const response = await call("/me", authorization);
      await problem(response, 400, "invalid_request");
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", error="invalid_request"/);
    }
  });

  it("answers 401 invalid_token to an invalid token or API key", async () => {
    const [a, b] = user.access_token.split(".");
    for (const credential of [
      "nonsense",
      `${a}.${b}.AAAA`,
      "sk_malformed",
      `${emailKey.slice(0, -1)}${emailKey.endsWith("x") ? "y" : "x"}`,
    ]) {
      const response = await call("/me", `Bearer ${credential}`);
      await problem(response, 401, "invalid_token");
      expect(response.headers.get("www-authenticate")).toMatch(
        new RegExp(`^${realm()}, error="invalid_token", error_description="[^"]+"$`),
      );
    }
  });

  it("puts the principal of an access token on the request", async () => {
    for (const scheme of ["Bearer", "bearer", "BEARER"]) {
      const response = await call("/me", `${scheme} ${user.access_token}`);
      expect(response.status).toBe(200);
      const principal = (await response.json()) as Record<string, unknown>;
      expect(principal).toMatchObject({
        type: "access_token",
        subject: user.user.id,
        scopes: ["openid", "profile", "email"],
        clientId: "first-party",
        sessionId: user.session_id,
        claims: { iss: h.issuer(TENANT), sub: user.user.id },
      });
    }
  });

  it("puts the principal of an API key on the request", async () => {
    const response = await call("/me", `Bearer ${emailKey}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      type: "api_key",
      subject: user.user.id,
      scopes: ["openid", "email"],
    });
  });

  it("answers 403 insufficient_scope naming the scope, per principal", async () => {
    expect((await call("/email", `Bearer ${user.access_token}`)).status).toBe(200);
    expect((await call("/email", `Bearer ${emailKey}`)).status).toBe(200);
    expect((await call("/profile", `Bearer ${user.access_token}`)).status).toBe(200);
    const refusals = [
      ["/admin", user.access_token, "admin"],
      ["/admin", emailKey, "admin"],
      ["/profile", emailKey, "profile"],
    ];
    for (const [path, credential, scope] of refusals) {
      const response = await call(path as string, `Bearer ${credential}`);
      await problem(response, 403, "insufficient_scope");
      expect(response.headers.get("www-authenticate")).toBe(`${realm()}, error="insufficient_scope", scope="${scope}"`);
    }
  });

  it("answers 503 with Retry-After, not 401, when the keys cannot be fetched", async () => {
    const response = await call("/down", `Bearer ${user.access_token}`);
    await problem(response, 503, "service_unavailable");
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("www-authenticate")).toBeNull();
  });
});

describe("revocation through every middleware", () => {
  it("refuses a logged-out token with token_revoked, and a revoked API key", async () => {
    const other = await h.signup(TENANT);
    const created = await fetch(`${h.issuer(TENANT)}/v1/api-keys`, {
      method: "POST",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${other.access_token}` },
      body: JSON.stringify({ name: "short-lived", scopes: ["openid"] }),
    });
    const key = (await created.json()) as { id: string; key: string };
    for (const name of ["hono", "express", "fetch"]) {
      expect((await (runtimes[name] as Call)("/me", `Bearer ${other.access_token}`)).status).toBe(200);
      expect((await (runtimes[name] as Call)("/me", `Bearer ${key.key}`)).status).toBe(200);
    }
    const deleted = await fetch(`${h.issuer(TENANT)}/v1/api-keys/${key.id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${other.access_token}` },
    });
    expect(deleted.status).toBe(204);
    const loggedOut = await fetch(`${h.issuer(TENANT)}/v1/logout`, {
      method: "POST",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${other.access_token}` },
      body: JSON.stringify({ refresh_token: other.refresh_token }),
    });
    expect(loggedOut.status).toBe(204);
    for (const name of ["hono", "express", "fetch"]) {
      const token = await (runtimes[name] as Call)("/me", `Bearer ${other.access_token}`);
      const body = await problem(token, 401, "token_revoked");
      expect(body.detail).toBe("The token has been revoked.");
      expect(token.headers.get("www-authenticate")).toContain('error="invalid_token"');
      await problem(await (runtimes[name] as Call)("/me", `Bearer ${key.key}`), 401, "invalid_token");
    }
  });
});

describe("requireScope without requireAuth", () => {
  it("answers 401 (Express-style)", async () => {
    const response = await fetch(`${nodeBase}/scope-only`, {
      headers: { Authorization: `Bearer ${user.access_token}` },
    });
    await problem(response, 401, "unauthorized");
  });

  it("is refused at construction without tokens or apiKeys", () => {
    expect(() => withAuth(async () => new Response(), {})).toThrow(TypeError);
    expect(() => hono.requireAuth({})).toThrow(TypeError);
    expect(() => express.requireAuth({})).toThrow(TypeError);
  });
});

describe("API keys without an API-key verifier", () => {
  it("are refused as tokens", async () => {
    const tokensOnly = withAuth(async () => new Response("ok"), { tokens: auth.tokens });
    const response = await tokensOnly(
      new Request("https://s.example/", { headers: { Authorization: `Bearer ${emailKey}` } }),
    );
    await problem(response, 401, "invalid_token");
  });
});
