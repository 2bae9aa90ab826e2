/**
 * The service's answers against its own OpenAPI document, as a test suite
 * generated from the document would check them (status documented, media
 * type, JSON schema, required headers): the cases an outside audit found
 * undocumented, then every operation of the document swept three ways (a
 * bare request, an unknown tenant, every store down), so an operation added
 * later is covered without touching this file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import type { Database } from "../../src/core/ports/database.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { basicAuth, oauthFixtures, type RegisteredClient, tokenRequest } from "../support/oidc.js";
import { type ConformanceDocument, conformance } from "../support/openapi-conformance.js";

const SLUG = "conform";
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
let t: TestApp;
let doc: ConformanceDocument;
let check: ReturnType<typeof conformance>;
let confidential: RegisteredClient;
let publicClient: RegisteredClient;

beforeAll(async () => {
  t = await startTestApp();
  doc = (await (await t.app.request("/openapi.json")).json()) as ConformanceDocument;
  check = conformance(doc);
  await appClient(t).createTenant(SLUG);
  const fx = oauthFixtures(t, SLUG);
  confidential = await fx.register({ type: "confidential" });
  publicClient = await fx.register({ type: "public" });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** Sends `init` to `path` (with the tenant and any other parameter filled in) and checks the answer. */
async function answered(method: string, template: string, init: RequestInit = {}, tenant = SLUG) {
  const url = template.replace("{tenant}", tenant).replace(/\{[a-z_]+\}/g, "00000000-0000-4000-8000-000000000000");
  const response = await t.app.request(url, { method, ...init });
  return { response, mismatches: await check.mismatches(method, template, response) };
}

describe("the answers an audit found undocumented", () => {
  it("a disabled user's login: 403 account_disabled", async () => {
    const api = appClient(t);
    const signup = await api.signup(SLUG, "disabled@example.com");
    const { user } = (await signup.json()) as { user: { id: string } };
    const patched = await t.app.request(`/t/${SLUG}/v1/admin/users/${user.id}`, {
      method: "PATCH",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ disabled: true }),
    });
    expect(patched.status).toBe(200);
    const { response, mismatches } = await answered("POST", "/t/{tenant}/v1/login", {
      headers: JSON_HEADERS,
      body: JSON.stringify({ email: "disabled@example.com", password: GOOD_PASSWORD }),
    });
    expect(response.status).toBe(403);
    expect(mismatches).toEqual([]);
  });

  it.each(["/t/{tenant}/v1/introspect", "/t/{tenant}/v1/revoke"])(
    "%s: a client's failed authentication is RFC 6749 JSON 401, documented",
    async (path) => {
      const wrongSecret = await answered("POST", path, {
        headers: { ...FORM, Authorization: basicAuth({ ...confidential, client_secret: "wrong" }) },
        body: "token=x",
      });
      expect(wrongSecret.response.status).toBe(401);
      expect(wrongSecret.response.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
      expect(wrongSecret.mismatches).toEqual([]);
      // Credentials in the form: RFC 6749 §5.2 asks a challenge only of the Authorization header.
      const inForm = await answered("POST", path, {
        headers: FORM,
        body: `token=x&client_id=${confidential.client_id}&client_secret=wrong`,
      });
      expect(inForm.response.status).toBe(401);
      expect(inForm.response.headers.get("www-authenticate")).toBeNull();
      expect(inForm.mismatches).toEqual([]);
    },
  );

  it("introspection by a public client: 401 invalid_client, documented", async () => {
    const { response, mismatches } = await answered("POST", "/t/{tenant}/v1/introspect", {
      headers: FORM,
      body: `token=x&client_id=${publicClient.client_id}`,
    });
    expect(response.status).toBe(401);
    expect(mismatches).toEqual([]);
  });

  it("the authorization endpoint: POST without a form is a 415 page; GET documents no 415", async () => {
    for (const init of [{ headers: JSON_HEADERS, body: "{}" }, {}]) {
      const { response, mismatches } = await answered("POST", "/t/{tenant}/authorize", init);
      expect(response.status).toBe(415);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(mismatches).toEqual([]);
    }
    expect(Object.keys(doc.paths["/t/{tenant}/authorize"]?.get?.responses ?? {})).not.toContain("415");
  });

  it("the end-session endpoint: POST without a form is a 415 page", async () => {
    const { response, mismatches } = await answered("POST", "/t/{tenant}/logout", {
      headers: JSON_HEADERS,
      body: "{}",
    });
    expect(response.status).toBe(415);
    expect(mismatches).toEqual([]);
  });

  it("the token endpoint of an unknown tenant: 404 tenant_not_found", async () => {
    const response = await tokenRequest(t, "no-such-tenant", { grant_type: "client_credentials" });
    expect(response.status).toBe(404);
    expect(await check.mismatches("POST", "/t/{tenant}/oauth2/token", response)).toEqual([]);
  });

  it("discovery: every field sent is a property of OpenIdConfiguration", async () => {
    const { response, mismatches } = await answered("GET", "/t/{tenant}/.well-known/openid-configuration");
    expect(mismatches).toEqual([]);
    const named = Object.keys(
      (doc.components?.schemas?.OpenIdConfiguration as { properties: object } | undefined)?.properties ?? {},
    );
    expect(named).toEqual(expect.arrayContaining(Object.keys((await response.json()) as object)));
  });

  it("headers: Set-Cookie in cookie mode, WWW-Authenticate on a Bearer 401, Location on a redirect", async () => {
    await appClient(t).signup(SLUG, "cookie@example.com");
    const cookie = await answered("POST", "/t/{tenant}/v1/login", {
      headers: JSON_HEADERS,
      body: JSON.stringify({ email: "cookie@example.com", password: GOOD_PASSWORD, cookie: true }),
    });
    expect(cookie.response.headers.get("set-cookie")).toMatch(/^__Host-refresh-/);
    const declared = doc.paths["/t/{tenant}/v1/login"]?.post?.responses?.["200"]?.headers ?? {};
    expect(Object.keys(declared)).toEqual(expect.arrayContaining(["Set-Cookie", "X-Request-Id"]));
    expect(cookie.mismatches).toEqual([]);
    const me = await answered("GET", "/t/{tenant}/v1/me");
    expect(me.response.status).toBe(401);
    expect(me.mismatches).toEqual([]);
    const authorize = await answered("GET", `/t/{tenant}/authorize`, {}, SLUG);
    expect(authorize.mismatches).toEqual([]);
  });
});

interface Sent {
  method: string;
  path: string;
  init: RequestInit;
}

/** A bare request to every operation: no credentials, an empty body of the type it takes. */
function everyOperation(): Sent[] {
  const out: Sent[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const types = Object.keys(
        (operation as { requestBody?: { content: Record<string, unknown> } }).requestBody?.content ?? {},
      );
      const init: RequestInit = types.includes("application/json")
        ? { headers: JSON_HEADERS, body: "{}" }
        : types.length > 0
          ? { headers: FORM, body: "" }
          : {};
      out.push({ method: method.toUpperCase(), path, init });
    }
  }
  return out;
}

async function sweep(sent: Sent[], tenant: string, app = t.app) {
  const found: string[] = [];
  const statuses = new Map<string, number>();
  for (const { method, path, init } of sent) {
    const url = path.replace("{tenant}", tenant).replace(/\{[a-z_]+\}/g, "00000000-0000-4000-8000-000000000000");
    const response = await app.request(url, { method, ...init });
    statuses.set(`${method} ${path}`, response.status);
    found.push(...(await check.mismatches(method, path, response)));
  }
  return { found, statuses };
}

describe("every operation of the document", () => {
  it("answers a bare request only as the document says", async () => {
    const { found } = await sweep(everyOperation(), SLUG);
    expect(found).toEqual([]);
  }, 120_000);

  it("answers 404 tenant_not_found under an unknown tenant, documented", async () => {
    const tenantScoped = everyOperation().filter((s) => s.path.includes("{tenant}"));
    expect(tenantScoped.length).toBeGreaterThan(100);
    const { found, statuses } = await sweep(tenantScoped, "no-such-tenant");
    expect(found).toEqual([]);
    expect([...statuses.values()].every((status) => status === 404)).toBe(true);
  }, 120_000);

  it("answers 503 service_unavailable with Postgres down wherever it needs it, documented", async () => {
    // A fresh app (no cached tenant) on a database that refuses connections.
    const down: Database = createPgDatabase("postgres://postgres@127.0.0.1:1/none");
    const broken = await startTestApp({ db: down });
    try {
      const { found, statuses } = await sweep(everyOperation(), SLUG, broken.app);
      expect(found).toEqual([]);
      const unavailable = [...statuses].filter(([, status]) => status === 503).map(([op]) => op);
      expect(unavailable).toEqual(
        expect.arrayContaining([
          "POST /t/{tenant}/v1/signup",
          "POST /t/{tenant}/v1/token/refresh",
          "POST /t/{tenant}/v1/introspect",
          "GET /t/{tenant}/login",
        ]),
      );
    } finally {
      await broken.close();
    }
  }, 120_000);
});
