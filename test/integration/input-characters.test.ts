/**
 * Characters that break storage, fuzzed over every route of the app's own
 * OpenAPI document (so routes added later are covered without touching this
 * file): NUL, lone surrogates, 64 KiB strings, RTL override and a mix, in
 * every string field of every JSON and form body (array items and record
 * values included), every path parameter and every query parameter. No
 * answer may be a 5xx or write an error line; NUL and lone surrogates are
 * 400 `validation_failed` naming the field.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogMailer } from "../../src/adapters/mail/log-mailer.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import {
  formOf,
  type OpenApiDocument,
  type Operation,
  openApiWalk,
  type Schema,
  setAt,
} from "../support/openapi-walk.js";
import { recordingLogger } from "../support/recorders.js";
import { createSamlIdp } from "../support/saml-idp.js";

const TENANT = "fuzz";
const APP = "https://app.example.com/cb";
const LONG = "x".repeat(64 * 1024);

/** The values sent in each field; `refused` ones must be 400 validation_failed naming the field. */
const VALUES: { label: string; value: string; refused: boolean }[] = [
  { label: "NUL", value: "a\u0000b", refused: true },
  { label: "lone high surrogate", value: "a\uD800b", refused: true },
  { label: "lone low surrogate", value: "a\uDC00b", refused: true },
  { label: "64 KiB", value: LONG, refused: false },
  { label: "RTL override", value: "abc\u202Edef", refused: false },
  { label: "mixed", value: `\u202E${LONG}\u0000\uDC00\uD800 `, refused: true },
];

let t: TestApp;
let walk: ReturnType<typeof openApiWalk>;
let metadataXml: string;
let serviceKey: string;
let db: pg.Client;
const { logger, lines } = recordingLogger();
let unique = 0;
const fresh = () => ({ email: `s${++unique}@example.com`, password: GOOD_PASSWORD });

/** A value the route accepts for this field, so the fuzzed field is the one judged. */
function sample(name: string | number | undefined, schema: Schema): string {
  unique += 1;
  switch (name) {
    case "slug":
      return `f${unique}`;
    case "email":
    case "new_email":
      return `u${unique}@example.com`;
    case "password":
    case "current_password":
    // The owner's password stays what the other routes log in with.
    case "new_password":
      return GOOD_PASSWORD;
    case "idp_metadata_xml":
      return metadataXml;
    case "redirect_uri":
    case "redirect_uris":
      return APP;
    case "tenant":
      return TENANT;
    case "id":
      return crypto.randomUUID();
  }
  if (schema.format === "date-time") return new Date(Date.now() + 86_400_000).toISOString();
  if (schema.format === "uri" || schema.format === "url") return APP;
  if (typeof schema.example === "string") return schema.example;
  return "sample";
}

/** Credentials a route may need: the bootstrap admin key, a fresh user's access token, a service key. */
const credentials: (() => Promise<string>)[] = [
  async () => TEST_ADMIN_KEY,
  async () => {
    // A fresh session each time: logout ends the one it is called with.
    const response = await appClient(t).login(TENANT, "owner@example.com");
    return ((await response.json()) as TokenBody).access_token;
  },
  async () => serviceKey,
];

interface Attempt {
  op: Operation;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: { type: "json" | "form"; value: unknown };
}

function urlOf(op: Operation, params: Record<string, string> = {}, query: Record<string, string> = {}): string {
  const schemaOf = (name: string) => op.parameters.find((p) => p.in === "path" && p.name === name)?.schema ?? {};
  const path = op.path.replace(
    /\{(\w+)\}/g,
    (_, name: string) => params[name] ?? encodeURIComponent(sample(name, schemaOf(name))),
  );
  const search = Object.entries(query)
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
  return search ? `${path}?${search}` : path;
}

function baselineQuery(op: Operation): Record<string, string> {
  const query: Record<string, string> = {};
  for (const p of op.parameters.filter((p) => p.in === "query" && p.required)) {
    query[p.name] = encodeURIComponent(sample(p.name, p.schema ?? {}));
  }
  return query;
}

const chosen = new Map<string, number>();
/** Operations some fuzzed request got through (so the baselines are valid and values reach storage). */
const reached = new Set<string>();
const keyOf = (op: Operation) => `${op.method} ${op.path}`;

async function send(attempt: Attempt, credential?: number): Promise<Response> {
  const { op } = attempt;
  const headers: Record<string, string> = {};
  const which = credential ?? chosen.get(keyOf(op));
  if (which !== undefined) headers.Authorization = `Bearer ${await (credentials[which] as () => Promise<string>)()}`;
  let body: string | undefined;
  if (attempt.body) {
    if (attempt.body.type === "json") {
      headers["Content-Type"] = JSON_HEADERS["Content-Type"];
      body = JSON.stringify(attempt.body.value);
    } else {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = formOf(attempt.body.value as Record<string, unknown>);
    }
  }
  return t.app.request(urlOf(op, attempt.params, attempt.query ?? baselineQuery(op)), {
    method: op.method,
    headers,
    body,
  });
}

/** The first credential the route does not refuse (401/403) for a valid request. */
async function chooseCredential(op: Operation): Promise<void> {
  if (!op.security) return;
  const body = op.bodies[0] && { type: op.bodies[0].type, value: walk.baseline(op.bodies[0].schema) };
  for (let i = 0; i < credentials.length; i++) {
    const response = await send({ op, body }, i);
    if (response.status !== 401 && response.status !== 403) {
      chosen.set(keyOf(op), i);
      return;
    }
  }
}

interface Finding {
  where: string;
  status: number;
  text: string;
}

async function judge(attempt: Attempt, where: string, refused: boolean, field: string, findings: Finding[]) {
  const response = await send(attempt);
  const text = await response.text();
  if (response.status < 400) reached.add(keyOf(attempt.op));
  if (response.status >= 500) findings.push({ where, status: response.status, text: text.slice(0, 300) });
  // A browser endpoint's refusal is a page or a redirect to the client: no 5xx is what is asked of it.
  if (!refused || attempt.op.answersPages) return;
  const problem = /json/.test(response.headers.get("content-type") ?? "")
    ? (JSON.parse(text) as { code?: string; errors?: { path: string }[]; error?: string; error_description?: string })
    : {};
  // OAuth endpoints answer in RFC 6749 §5.2's format: invalid_request, naming the field first.
  const named =
    (problem.code === "validation_failed" && problem.errors?.some((e) => e.path === field)) ||
    (problem.error === "invalid_request" && problem.error_description?.startsWith(`${field} `));
  if (response.status !== 400 || !named)
    findings.push({
      where: `${where} (not refused naming ${field})`,
      status: response.status,
      text: text.slice(0, 300),
    });
}

beforeAll(async () => {
  // The development mailer (to the log): routes that send mail are walked like the others.
  t = await startTestApp(
    { logger, mailer: createLogMailer(logger, "accounts@acme.test") },
    { MAX_BODY_BYTES: String(1024 * 1024) },
  );
  const doc = (await (await t.app.request("/openapi.json")).json()) as OpenApiDocument;
  walk = openApiWalk(doc, sample);
  metadataXml = createSamlIdp({
    entityId: "https://idp.example/metadata",
    ssoUrl: "https://idp.example/sso",
  }).metadataXml;
  const api = appClient(t);
  await api.createTenant(TENANT);
  expect((await api.redirectUris(TENANT, [APP])).status).toBe(200);
  const signup = (await (await api.signup(TENANT, "owner@example.com")).json()) as { user: { id: string } };
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await db.query("UPDATE users SET scopes = $1 WHERE id = $2", [JSON.stringify(["admin"]), signup.user.id]);
  const owner = (await (await api.login(TENANT, "owner@example.com")).json()) as TokenBody;
  const created = await t.app.request(`/t/${TENANT}/v1/api-keys`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${owner.access_token}` },
    body: JSON.stringify({ name: "fuzz", scopes: ["admin", "tokens:introspect", "api_keys:verify"] }),
  });
  expect(created.status).toBe(201);
  serviceKey = ((await created.json()) as { key: string }).key;
  // The connection and provider the examples name, so their routes reach storage.
  const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const saml = await t.app.request(`/t/${TENANT}/v1/admin/saml-connections/okta`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ idp_metadata_xml: metadataXml }),
  });
  expect(saml.status).toBe(200);
  const google = await t.app.request(`/t/${TENANT}/v1/admin/oauth-providers/google`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ client_id: "id", client_secret: "secret" }),
  });
  expect(google.status).toBe(200);
  for (const op of walk.operations()) await chooseCredential(op);
}, 120_000);
afterAll(async () => {
  await db?.end();
  await t?.close();
});

describe("characters that break storage, on every route of the OpenAPI document", () => {
  it("covers the routes with bodies (a sanity check of the walk)", () => {
    const withBodies = walk.operations().filter((op) => op.bodies.length > 0);
    expect(withBodies.length).toBeGreaterThanOrEqual(15);
    const fields = withBodies.flatMap((op) => op.bodies.flatMap((b) => walk.stringFields(b.schema)));
    expect(fields.map((f) => f.join("."))).toEqual(
      expect.arrayContaining(["name", "client_id", "redirect_uris.0", "attribute_mapping.email", "idp_metadata_xml"]),
    );
  });

  it("answers every string field of every body without a 5xx, refusing NUL and lone surrogates by name", async () => {
    const findings: Finding[] = [];
    for (const op of walk.operations()) {
      for (const body of op.bodies) {
        for (const field of walk.stringFields(body.schema)) {
          for (const { label, value, refused } of VALUES) {
            const fuzzed = setAt(structuredClone(walk.baseline(body.schema)), field, value);
            // Forms carry no lone surrogates (their bytes decode to U+FFFD), so only NUL is refused there.
            const refusedHere = refused && (body.type === "json" || value.includes("\u0000"));
            await judge(
              { op, body: { type: body.type, value: fuzzed } },
              `${op.method} ${op.path} ${body.type} ${field.join(".")}: ${label}`,
              refusedHere,
              field.join("."),
              findings,
            );
          }
        }
      }
    }
    expect(findings).toEqual([]);
    expect([...reached]).toEqual(
      expect.arrayContaining([
        "POST /v1/admin/tenants",
        "POST /t/{tenant}/v1/signup",
        "POST /t/{tenant}/v1/api-keys",
        "PUT /t/{tenant}/v1/admin/oauth-providers/{provider}",
        "PUT /t/{tenant}/v1/admin/saml-connections/{connection}",
        "POST /t/{tenant}/v1/introspect",
      ]),
    );
  }, 300_000);

  it("answers NUL and control characters in every path and query parameter without a 5xx, refusing NUL by name", async () => {
    const findings: Finding[] = [];
    for (const op of walk.operations()) {
      const body = op.bodies[0] && { type: op.bodies[0].type, value: walk.baseline(op.bodies[0].schema) };
      for (const p of op.parameters.filter((p) => p.in === "path")) {
        // The tenant is resolved before any route: a slug with NUL is simply no tenant. A route that
        // refuses no input (a static asset by its name) has nothing by that name: 404.
        const refused = p.name !== "tenant" && op.refusesInput;
        await judge(
          { op, body, params: { [p.name]: "y".repeat(64 * 1024) } },
          `${op.method} ${op.path} path ${p.name} 64 KiB`,
          false,
          p.name,
          findings,
        );
        await judge(
          { op, body, params: { [p.name]: "a%00b" } },
          `${op.method} ${op.path} path ${p.name}`,
          refused,
          p.name,
          findings,
        );
        if (p.name === "tenant") {
          const response = await send({ op, body, params: { tenant: "a%00b" } });
          if (response.status !== 404)
            findings.push({ where: `${op.path} tenant NUL`, status: response.status, text: "" });
        }
      }
      const query = [...op.parameters.filter((p) => p.in === "query").map((p) => p.name), "extra"];
      for (const name of query) {
        for (const value of ["a%00b", "a%01%0A%1Fb", `${"y".repeat(64 * 1024)}%00`]) {
          const declared = name !== "extra";
          await judge(
            { op, body, query: { ...baselineQuery(op), [name]: value } },
            `${op.method} ${op.path} query ${name}=${value.slice(0, 12)}`,
            declared && value.includes("%00"),
            name,
            findings,
          );
        }
      }
    }
    expect(findings).toEqual([]);
  }, 300_000);

  it("refuses control characters in names and identifiers (single-line fields), by name", async () => {
    const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
    const owner = await credentials[1]?.();
    const cases: [string, string, Record<string, string>, (bad: string) => unknown, string][] = [
      ["POST", "/v1/admin/tenants", admin, (bad) => ({ slug: `c${++unique}`, name: bad }), "name"],
      ["POST", "/v1/admin/tenants", admin, (bad) => ({ slug: `c${++unique}`, name: "n", audience: bad }), "audience"],
      ["POST", `/t/${TENANT}/v1/signup`, JSON_HEADERS, (bad) => ({ ...fresh(), name: bad }), "name"],
      [
        "POST",
        `/t/${TENANT}/v1/api-keys`,
        { ...JSON_HEADERS, Authorization: `Bearer ${owner}` },
        (bad) => ({ name: bad, scopes: [] }),
        "name",
      ],
      [
        "PUT",
        `/t/${TENANT}/v1/admin/redirect-uris`,
        admin,
        (bad) => ({ redirect_uris: [`${APP}${bad}`] }),
        "redirect_uris.0",
      ],
      [
        "PUT",
        `/t/${TENANT}/v1/admin/oauth-providers/google`,
        admin,
        (bad) => ({ client_id: bad, client_secret: "s" }),
        "client_id",
      ],
      [
        "PUT",
        `/t/${TENANT}/v1/admin/oauth-providers/corp`,
        admin,
        (bad) => ({ client_id: "id", client_secret: "s", issuer: `https://idp.example${bad}` }),
        "issuer",
      ],
    ];
    const findings: Finding[] = [];
    for (const [method, path, headers, body, field] of cases) {
      // C0, DEL, C1 (NEL U+0085 ends a line; CSI U+009B starts a terminal sequence), line and paragraph separators.
      for (const bad of ["\n", "\t", "\r", "\u001b[31m", "\u007f", "\u0085", "\u009b31m", "\u2028", "\u2029"]) {
        const response = await t.app.request(path, { method, headers, body: JSON.stringify(body(`a${bad}b`)) });
        const problem = (await response.json()) as { code?: string; errors?: { path: string }[] };
        if (response.status !== 400 || !problem.errors?.some((e) => e.path === field)) {
          findings.push({
            where: `${method} ${path} ${field} ${JSON.stringify(bad)}`,
            status: response.status,
            text: "",
          });
        }
      }
    }
    expect(findings).toEqual([]);
  });

  it("wrote no error line (after the fuzz above, through the app's own logger)", () => {
    // The recorder saw the fuzz (a request line per request), so an empty error list means something.
    expect(lines.filter((line) => line.event === "request").length).toBeGreaterThan(500);
    expect(lines.filter((line) => line.level === "error").map((l) => JSON.stringify(l).slice(0, 400))).toEqual([]);
  });
});
