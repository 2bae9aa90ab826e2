/**
 * What every operation of the served OpenAPI document must say, whatever
 * route it describes (test/integration/openapi-conformance.test.ts checks
 * the answers themselves): a unique operationId, 404 tenant_not_found under
 * /t/{tenant}, 503 wherever a store is reached, the response headers the
 * layers around the routes add, pages answering pages; and that the document
 * stays valid OpenAPI 3.1 (references resolve, schemas compile as JSON
 * Schema 2020-12, path parameters are declared).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { describeApp } from "../../scripts/docs/described-app.js";
import { isPagePath } from "../../src/http/pages/paths.js";

interface Response {
  description?: string;
  content?: Record<string, { schema?: object }>;
  headers?: Record<string, { $ref?: string; required?: boolean; schema?: object }>;
}
interface Operation {
  operationId?: string;
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: object }> };
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object>; headers: Record<string, { required?: boolean; schema?: object }> };
}

let doc: Document;
const operations: { method: string; path: string; op: Operation }[] = [];
const STORELESS = [
  "/",
  "/healthz",
  "/metrics",
  "/openapi.json",
  "/docs",
  "/docs/assets/{file}",
  "/assets/forms.js",
  "/assets/hosted.css",
  "/assets/passkey.js",
];

beforeAll(async () => {
  doc = (await describeApp()).document as unknown as Document;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) operations.push({ method, path, op });
  }
});

const name = ({ method, path }: { method: string; path: string }) => `${method.toUpperCase()} ${path}`;
/** The operations for which `wrong` says something, by name. */
const failing = (wrong: (o: (typeof operations)[number]) => boolean) => operations.filter(wrong).map(name);
const headerOf = (response: Response, header: string) => {
  const h = response.headers?.[header];
  return h?.$ref ? doc.components.headers[h.$ref.replace("#/components/headers/", "")] : h;
};

describe("every operation of the OpenAPI document", () => {
  it("has a unique camelCase operationId", () => {
    expect(operations.length).toBeGreaterThan(130);
    expect(failing(({ op }) => !/^[a-z][A-Za-z0-9]*$/.test(op.operationId ?? ""))).toEqual([]);
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths["/t/{tenant}/v1/login"]?.post?.operationId).toBe("postV1Login");
  });

  it("under /t/{tenant} lists 404 (tenant_not_found)", () => {
    expect(failing(({ path, op }) => path.includes("{tenant}") && !op.responses["404"])).toEqual([]);
  });

  it("lists 503 unless it reaches no store", () => {
    expect(failing(({ path, op }) => !STORELESS.includes(path) && !op.responses["503"])).toEqual([]);
    expect(failing(({ path, op }) => STORELESS.includes(path) && path !== "/readyz" && !!op.responses["503"])).toEqual(
      [],
    );
  });

  it("lists 413 wherever a body can come (every method but GET: the body limit answers before any route)", () => {
    expect(failing(({ method, op }) => method !== "get" && !op.responses["413"])).toEqual([]);
  });

  it("declares Retry-After on every 409 (rotation_conflict and concurrent_change send it)", () => {
    expect(failing(({ op }) => !!op.responses["409"] && !headerOf(op.responses["409"], "Retry-After"))).toEqual([]);
  });

  it("declares X-Request-Id on every response", () => {
    expect(
      failing(({ op }) => Object.values(op.responses).some((r) => headerOf(r, "X-Request-Id")?.required !== true)),
    ).toEqual([]);
  });

  it("declares WWW-Authenticate on the 401 of a route taking a Bearer credential (required where only Bearer is)", () => {
    const bearer = operations.filter(({ op }) => op.security?.some((s) => "bearer" in s));
    expect(bearer.length).toBeGreaterThan(50);
    expect(bearer.filter(({ op }) => !headerOf(op.responses["401"] ?? {}, "WWW-Authenticate")).map(name)).toEqual([]);
    const onlyBearer = bearer.filter(({ op }) =>
      op.security?.every((s) => Object.keys(s).every((k) => k === "bearer")),
    );
    expect(
      onlyBearer
        .filter(({ op }) => headerOf(op.responses["401"] ?? {}, "WWW-Authenticate")?.required !== true)
        .map(name),
    ).toEqual([]);
  });

  it("declares Retry-After and RateLimit-* on every 429, Retry-After on every 423, Location on every redirect", () => {
    const lacking = (status: (s: string) => boolean, header: string) =>
      failing(({ op }) => Object.entries(op.responses).some(([s, r]) => status(s) && !headerOf(r, header)));
    expect(lacking((s) => s === "429", "Retry-After")).toEqual([]);
    for (const field of ["Limit", "Remaining", "Reset", "Policy"]) {
      expect(lacking((s) => s === "429", `RateLimit-${field}`)).toEqual([]);
    }
    expect(lacking((s) => s === "423", "Retry-After")).toEqual([]);
    expect(lacking((s) => s.startsWith("3") && s !== "304", "Location")).toEqual([]);
  });

  it("declares Set-Cookie where cookie mode sets or clears the refresh cookie", () => {
    for (const [path, status] of [
      ["/t/{tenant}/v1/signup", "201"],
      ["/t/{tenant}/v1/login", "200"],
      ["/t/{tenant}/v1/mfa/verify", "200"],
      ["/t/{tenant}/v1/token/refresh", "200"],
      ["/t/{tenant}/v1/token/refresh", "401"],
      ["/t/{tenant}/v1/token/exchange", "200"],
      ["/t/{tenant}/v1/passkeys/authentication", "200"],
      ["/t/{tenant}/v1/logout", "204"],
    ] as const) {
      expect(headerOf(doc.paths[path]?.post?.responses[status] ?? {}, "Set-Cookie"), `${path} ${status}`).toBeDefined();
    }
  });

  it("at a page path answers its failures as pages, never problem+json", () => {
    const pages = operations.filter(({ path }) => isPagePath(path.replace(/\{[^}]+\}/g, "x")));
    expect(pages.length).toBeGreaterThan(30);
    expect(
      pages
        .filter(({ op }) => Object.values(op.responses).some((r) => r.content?.["application/problem+json"]))
        .map(name),
    ).toEqual([]);
  });

  it("lists 403 account_disabled at the routes a disabled user cannot log in by", () => {
    for (const path of [
      "/t/{tenant}/v1/login",
      "/t/{tenant}/v1/mfa/verify",
      "/t/{tenant}/v1/token/exchange",
      "/t/{tenant}/v1/passkeys/authentication",
    ]) {
      expect(doc.paths[path]?.post?.responses["403"]?.description, path).toContain("account_disabled");
    }
  });

  it("gives both error formats at introspection and revocation, OAuth JSON at the token endpoint", () => {
    for (const path of ["/t/{tenant}/v1/introspect", "/t/{tenant}/v1/revoke"]) {
      for (const status of ["400", "401"]) {
        const types = Object.keys(doc.paths[path]?.post?.responses[status]?.content ?? {});
        expect(types.sort(), `${path} ${status}`).toEqual(["application/json", "application/problem+json"]);
      }
    }
    const token = doc.paths["/t/{tenant}/oauth2/token"]?.post?.responses ?? {};
    expect(Object.keys(token["401"]?.content ?? {})).toEqual(["application/json"]);
    expect(Object.keys(token)).toEqual(expect.arrayContaining(["404", "413", "429", "503"]));
  });

  it("refuses unknown fields in every admin write's JSON body, nested objects included", () => {
    // docs/guides/administration.md: a misspelt setting is never dropped without a word.
    type Schema = Record<string, unknown>;
    const resolve = (schema: object): Schema => {
      const ref = (schema as { $ref?: string }).$ref;
      return (ref ? doc.components.schemas[ref.replace("#/components/schemas/", "")] : schema) as Schema;
    };
    const open = (schema: object | undefined): boolean => {
      if (!schema) return false;
      const s = resolve(schema);
      const nested = [s.items, ...((s.anyOf ?? s.oneOf ?? []) as object[])].filter(Boolean) as object[];
      if (nested.some(open)) return true;
      if (s.type !== "object" || !s.properties) return false;
      return s.additionalProperties !== false || Object.values(s.properties as Record<string, object>).some(open);
    };
    const writes = operations.filter(({ method, path }) => method !== "get" && path.includes("/v1/admin/"));
    expect(writes.length).toBeGreaterThan(20);
    expect(failing((o) => writes.includes(o) && open(o.op.requestBody?.content?.["application/json"]?.schema))).toEqual(
      [],
    );
  });

  it("lists 412 precondition_failed on every admin write (If-Match other than *)", () => {
    const admin = ({ method, path }: { method: string; path: string }) =>
      method !== "get" && path.includes("/v1/admin/");
    expect(failing((o) => admin(o) && !o.op.responses["412"])).toEqual([]);
  });

  it("describes the ETag and the conditional headers of every admin resource that has one", () => {
    const tagged = [
      "/t/{tenant}/v1/admin/redirect-uris",
      "/t/{tenant}/v1/admin/branding",
      "/t/{tenant}/v1/admin/mfa-policy",
      "/t/{tenant}/v1/admin/passkey-settings",
      "/t/{tenant}/v1/admin/rate-limits",
      "/t/{tenant}/v1/admin/oauth-providers/{provider}",
      "/t/{tenant}/v1/admin/saml-connections/{connection}",
      "/t/{tenant}/v1/admin/clients/{client_id}",
      "/t/{tenant}/v1/admin/clients/{client_id}/rotate-secret",
      "/t/{tenant}/v1/admin/users/{id}",
    ];
    const etag = (op: Operation) => Object.values(op.responses).some((response) => response.headers?.ETag);
    const takes = (op: Operation, header: string) => op.parameters?.some((p) => p.in === "header" && p.name === header);
    // A DELETE answers 204 without one, and takes If-Match as its resource's other writes do.
    expect(failing(({ method, path, op }) => tagged.includes(path) && method !== "delete" && !etag(op))).toEqual([]);
    const resource = (path: string) => etag(doc.paths[path]?.get ?? { responses: {} });
    const writes = ({ method, path, op }: (typeof operations)[number]) =>
      method !== "get" && (etag(op) || resource(path));
    expect(failing((o) => writes(o) && !takes(o.op, "If-Match"))).toEqual([]);
    expect(failing((o) => !writes(o) && !!takes(o.op, "If-Match"))).toEqual([]);
    expect(operations.filter((o) => o.method === "delete" && writes(o)).length).toBe(4);
    expect(
      failing(
        ({ method, op }) => etag(op) && method === "get" && !!op.responses["304"] !== !!takes(op, "If-None-Match"),
      ),
    ).toEqual([]);
    expect(operations.filter(({ op }) => etag(op)).length).toBeGreaterThanOrEqual(tagged.length * 2 - 1);
  });

  it("names what discovery advertises in OpenIdConfiguration", () => {
    const properties = Object.keys((doc.components.schemas.OpenIdConfiguration as { properties: object }).properties);
    expect(properties).toEqual(
      expect.arrayContaining([
        "id_token_signing_alg_values_supported",
        "response_types_supported",
        "code_challenge_methods_supported",
        "scopes_supported",
        "claims_supported",
      ]),
    );
  });
});

describe("the document", () => {
  it("is OpenAPI 3.1 whose references resolve", () => {
    expect(doc.openapi).toBe("3.1.0");
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(100);
    const unresolved = refs.filter((ref) => {
      let at: unknown = doc;
      for (const part of ref.replace(/^#\//, "").split("/")) at = (at as Record<string, unknown> | undefined)?.[part];
      return at === undefined;
    });
    expect([...new Set(unresolved)]).toEqual([]);
  });

  it("has JSON Schema 2020-12 schemas (each compiles), status codes as keys, a schema for every header", () => {
    const ajv = new Ajv2020({ strict: false });
    const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll("#/components/schemas/", "#/$defs/"));
    const schemas: [string, object][] = Object.entries(doc.components.schemas);
    for (const { method, path, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, `${method} ${path}`).toMatch(/^([1-5]\d\d|default)$/);
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (media.schema) schemas.push([`${method} ${path} ${status} ${type}`, media.schema]);
        }
        for (const [header, h] of Object.entries(response.headers ?? {})) {
          expect(h.$ref ?? h.schema, `${method} ${path} ${status} ${header}`).toBeDefined();
        }
      }
    }
    for (const [where, schema] of schemas) {
      const own = JSON.parse(JSON.stringify(schema).replaceAll("#/components/schemas/", "#/$defs/"));
      expect(() => ajv.compile({ ...own, $defs: defs }), where).not.toThrow();
    }
    for (const [header, h] of Object.entries(doc.components.headers)) expect(h.schema, header).toBeDefined();
  });

  it("declares every parameter of every path template", () => {
    expect(
      failing(({ path, op }) => {
        const declared = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
        const named = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        return named.some((n) => !declared.includes(n as string));
      }),
    ).toEqual([]);
  });
});
