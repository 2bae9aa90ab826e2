import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/http/app.js";
import { finishDocument } from "../../src/http/openapi-document.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, "Content-Type": "application/json" };
const post = (path: string, body: string, headers: Record<string, string> = admin) =>
  t.app.request(path, { method: "POST", body, headers });

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  expect(typeof body.type).toBe("string");
  return body;
}

describe("operations", () => {
  it("answers /healthz", async () => {
    const response = await t.app.request("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz when Postgres and Redis answer", async () => {
    const response = await t.app.request("/readyz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
  });
});

describe("request ids", () => {
  it("echoes a well-formed X-Request-Id", async () => {
    const response = await t.app.request("/healthz", { headers: { "X-Request-Id": "abc.DEF_123-x" } });
    expect(response.headers.get("x-request-id")).toBe("abc.DEF_123-x");
  });

  it.each([["has space"], ["x".repeat(129)], ["<script>"], ["ünï"]])("replaces a malformed one (%s)", async (id) => {
    const response = await t.app.request("/healthz", { headers: { "X-Request-Id": id } });
    const echoed = response.headers.get("x-request-id");
    expect(echoed).not.toBe(id);
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("adds one to error responses too", async () => {
    const response = await t.app.request("/nowhere");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("routing and problems", () => {
  it("answers unknown routes with 404 problem+json", async () => {
    await expectProblem(await t.app.request("/nowhere"), 404, "not_found");
    await expectProblem(await t.app.request("/healthz/more"), 404, "not_found");
  });

  it("answers a known path's other methods with 405 and Allow (RFC 9110 §15.5.6), OPTIONS with 204 and Allow", async () => {
    await post("/v1/admin/tenants", JSON.stringify({ slug: "methods", name: "Methods" }));
    const cases: [string, string, string][] = [
      ["DELETE", "/healthz", "GET, HEAD"],
      ["GET", "/t/methods/v1/login", "POST"],
      ["PUT", "/t/methods/v1/me", "GET, HEAD"],
      ["GET", "/t/methods/oauth2/token", "POST"],
      ["POST", "/t/methods/v1/sessions/8e9b4c52-0000-4000-8000-000000000000", "DELETE"],
      ["PATCH", "/t/methods/v1/admin/users", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await t.app.request(path, { method });
      const body = await expectProblem(response, 405, "method_not_allowed");
      expect(response.headers.get("allow"), `${method} ${path}`).toBe(allow);
      expect(body.detail).toBe(`Allowed: ${allow}.`);
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    const options = await t.app.request("/t/methods/v1/api-keys", { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, POST, OPTIONS");
    // An unknown tenant stays 404 whatever the method.
    await expectProblem(await t.app.request("/t/unheard-of/v1/login", { method: "GET" }), 404, "tenant_not_found");
  });

  it.each([["nope"], ["UPPER"], ["x".repeat(64)], ["bad_slug"], ["%00"]])(
    "answers 404 tenant_not_found for tenant %s",
    async (slug) => {
      const body = await expectProblem(
        await t.app.request(`/t/${slug}/.well-known/openid-configuration`),
        404,
        "tenant_not_found",
      );
      expect(String(body.detail).length).toBeLessThan(120);
    },
  );

  it("resolves the seeded-or-created tenant and then 404s unknown routes under it", async () => {
    const created = await post("/v1/admin/tenants", JSON.stringify({ slug: "routing", name: "Routing" }));
    expect(created.status).toBe(201);
    await expectProblem(await t.app.request("/t/routing/unknown-route"), 404, "not_found");
  });
});

describe("POST /v1/admin/tenants", () => {
  it("creates a tenant stored in Postgres, with its issuer", async () => {
    const response = await post("/v1/admin/tenants", JSON.stringify({ slug: "acme-1", name: " Acme Inc " }));
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({ slug: "acme-1", name: "Acme Inc", issuer: `${TEST_PUBLIC_URL}/t/acme-1` });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(body.created_at ?? "").toISOString()).toBe(body.created_at);

    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    const { rows } = await client.query("select id, tenant_id, name from tenants where slug = $1", ["acme-1"]);
    await client.end();
    expect(rows).toEqual([{ id: body.id, tenant_id: body.id, name: "Acme Inc" }]);
  });

  it("answers 409 tenant_exists for a taken slug", async () => {
    const body = JSON.stringify({ slug: "taken", name: "Taken" });
    expect((await post("/v1/admin/tenants", body)).status).toBe(201);
    await expectProblem(await post("/v1/admin/tenants", body), 409, "tenant_exists");
  });

  it("lists every invalid field", async () => {
    const body = await expectProblem(
      await post("/v1/admin/tenants", JSON.stringify({ slug: "Bad Slug!", name: "" })),
      400,
      "validation_failed",
    );
    const paths = (body.errors as { path: string; message: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(["name", "slug"]);
  });

  it("says which required fields are missing", async () => {
    const body = await expectProblem(await post("/v1/admin/tenants", "{}"), 400, "validation_failed");
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: "slug", message: "is required" },
        { path: "name", message: "is required" },
      ]),
    );
  });

  it.each([["[]"], ["null"], ['"text"'], ["42"]])("rejects a JSON body that is not an object (%s)", async (raw) => {
    await expectProblem(await post("/v1/admin/tenants", raw), 400, "validation_failed");
  });

  it("rejects wrong types", async () => {
    await expectProblem(
      await post("/v1/admin/tenants", JSON.stringify({ slug: 5, name: ["x"] })),
      400,
      "validation_failed",
    );
  });

  it("rejects malformed JSON with 400 malformed_body", async () => {
    await expectProblem(await post("/v1/admin/tenants", '{"slug": "x",'), 400, "malformed_body");
  });

  it("rejects JSON that is not UTF-8 with 400 malformed_body rather than reading U+FFFD (RFC 8259 §8.1)", async () => {
    const head = new TextEncoder().encode('{"slug":"utf","name":"a');
    const tail = new TextEncoder().encode('"}');
    const body = new Uint8Array([...head, 0xff, 0xfe, ...tail]);
    const response = await t.app.request("/v1/admin/tenants", { method: "POST", body, headers: admin });
    await expectProblem(response, 400, "malformed_body");
    const valid = new TextEncoder().encode('{"slug":"utf","name":"Zoë 名"}');
    const created = await t.app.request("/v1/admin/tenants", { method: "POST", body: valid, headers: admin });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: "Zoë 名" });
  });

  it.each([["text/plain"], ["application/x-www-form-urlencoded"], ["multipart/form-data; boundary=x"]])(
    "rejects Content-Type %s with 415",
    async (type) => {
      await expectProblem(
        await post("/v1/admin/tenants", '{"slug":"x","name":"x"}', { ...admin, "Content-Type": type }),
        415,
        "unsupported_media_type",
      );
    },
  );

  it("rejects a body without Content-Type with 415", async () => {
    const response = await t.app.request("/v1/admin/tenants", {
      method: "POST",
      headers: { Authorization: admin.Authorization },
      body: new Blob(['{"slug":"x","name":"x"}']),
    });
    await expectProblem(response, 415, "unsupported_media_type");
  });

  it("accepts a JSON Content-Type with parameters", async () => {
    const response = await post("/v1/admin/tenants", JSON.stringify({ slug: "charset", name: "C" }), {
      ...admin,
      "Content-Type": "application/json; charset=utf-8",
    });
    expect(response.status).toBe(201);
  });

  it("rejects an oversized body with 413, announced or streamed", async () => {
    const big = JSON.stringify({ slug: "big", name: "x".repeat(70 * 1024) });
    await expectProblem(await post("/v1/admin/tenants", big), 413, "payload_too_large");
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const response = await t.app.request("/v1/admin/tenants", {
      method: "POST",
      headers: admin,
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectProblem(response, 413, "payload_too_large");
  });

  it("answers 401 without credentials, with no error code (RFC 6750 §3.1)", async () => {
    const response = await post("/v1/admin/tenants", "{}", { "Content-Type": "application/json" });
    await expectProblem(response, 401, "unauthorized");
    expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}"`);
  });

  it.each([[`Bearer ${TEST_ADMIN_KEY}x`], [`Bearer ${TEST_ADMIN_KEY.slice(0, -1)}`], ["Bearer "]])(
    "answers 401 invalid_token for a wrong bearer credential (%#)",
    async (authorization) => {
      const response = await post("/v1/admin/tenants", JSON.stringify({ slug: "nope-1", name: "N" }), {
        Authorization: authorization,
        "Content-Type": "application/json",
      });
      await expectProblem(response, 401, "invalid_token");
      expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}", error="invalid_token"`);
    },
  );

  it.each([[`Basic ${btoa(`admin:${TEST_ADMIN_KEY}`)}`], [TEST_ADMIN_KEY]])(
    "answers another scheme, even with the right key, like no credentials (RFC 6750 §3.1) (%#)",
    async (authorization) => {
      const response = await post("/v1/admin/tenants", JSON.stringify({ slug: "nope-2", name: "N" }), {
        Authorization: authorization,
        "Content-Type": "application/json",
      });
      await expectProblem(response, 401, "unauthorized");
      expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}"`);
    },
  );

  it("checks credentials before reading the body", async () => {
    const response = await post("/v1/admin/tenants", "{not json", { "Content-Type": "application/json" });
    expect(response.status).toBe(401);
  });
});

describe("OpenAPI", () => {
  it("serves an OpenAPI 3.1 document describing the routes", async () => {
    const response = await t.app.request("/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/",
      "/.well-known/oauth-authorization-server/t/{tenant}",
      "/assets/forms.js",
      "/assets/hosted.css",
      "/assets/passkey.js",
      "/docs",
      "/docs/assets/{file}",
      "/healthz",
      "/metrics",
      "/openapi.json",
      "/readyz",
      "/t/{tenant}/.well-known/jwks.json",
      "/t/{tenant}/.well-known/openid-configuration",
      "/t/{tenant}/account/security",
      "/t/{tenant}/account/security/factors/remove",
      "/t/{tenant}/account/security/passkeys",
      "/t/{tenant}/account/security/passkeys/options",
      "/t/{tenant}/account/security/passkeys/rename",
      "/t/{tenant}/account/security/totp",
      "/t/{tenant}/account/security/totp/confirm",
      "/t/{tenant}/authorize",
      "/t/{tenant}/branding/logo",
      "/t/{tenant}/consent",
      "/t/{tenant}/email/verify",
      "/t/{tenant}/email/verify/done",
      "/t/{tenant}/error",
      "/t/{tenant}/login",
      "/t/{tenant}/login/federated/oauth/{provider}",
      "/t/{tenant}/login/federated/return",
      "/t/{tenant}/login/federated/saml/{connection}",
      "/t/{tenant}/login/mfa",
      "/t/{tenant}/login/mfa/enroll",
      "/t/{tenant}/login/mfa/enroll/continue",
      "/t/{tenant}/login/mfa/passkey",
      "/t/{tenant}/login/mfa/passkey/options",
      "/t/{tenant}/login/passkey",
      "/t/{tenant}/logout",
      "/t/{tenant}/oauth2/token",
      "/t/{tenant}/password/forgot",
      "/t/{tenant}/password/forgot/sent",
      "/t/{tenant}/password/reset",
      "/t/{tenant}/password/reset/done",
      "/t/{tenant}/signup",
      "/t/{tenant}/v1/admin/api-keys",
      "/t/{tenant}/v1/admin/api-keys/{id}",
      "/t/{tenant}/v1/admin/audit-events",
      "/t/{tenant}/v1/admin/branding",
      "/t/{tenant}/v1/admin/clients",
      "/t/{tenant}/v1/admin/clients/{client_id}",
      "/t/{tenant}/v1/admin/clients/{client_id}/rotate-secret",
      "/t/{tenant}/v1/admin/mfa-policy",
      "/t/{tenant}/v1/admin/oauth-providers",
      "/t/{tenant}/v1/admin/oauth-providers/{provider}",
      "/t/{tenant}/v1/admin/passkey-settings",
      "/t/{tenant}/v1/admin/rate-limits",
      "/t/{tenant}/v1/admin/redirect-uris",
      "/t/{tenant}/v1/admin/saml-connections",
      "/t/{tenant}/v1/admin/saml-connections/{connection}",
      "/t/{tenant}/v1/admin/signing-keys",
      "/t/{tenant}/v1/admin/signing-keys/rotate",
      "/t/{tenant}/v1/admin/users",
      "/t/{tenant}/v1/admin/users/{id}",
      "/t/{tenant}/v1/admin/users/{id}/mfa/reset",
      "/t/{tenant}/v1/admin/users/{id}/revoke-sessions",
      "/t/{tenant}/v1/admin/users/{id}/sessions",
      "/t/{tenant}/v1/api-keys",
      "/t/{tenant}/v1/api-keys/verify",
      "/t/{tenant}/v1/api-keys/{id}",
      "/t/{tenant}/v1/consents",
      "/t/{tenant}/v1/consents/{client_id}",
      "/t/{tenant}/v1/email/change",
      "/t/{tenant}/v1/email/verification",
      "/t/{tenant}/v1/email/verify",
      "/t/{tenant}/v1/introspect",
      "/t/{tenant}/v1/login",
      "/t/{tenant}/v1/logout",
      "/t/{tenant}/v1/me",
      "/t/{tenant}/v1/mfa/enroll/passkey",
      "/t/{tenant}/v1/mfa/enroll/passkey/options",
      "/t/{tenant}/v1/mfa/enroll/totp",
      "/t/{tenant}/v1/mfa/factors",
      "/t/{tenant}/v1/mfa/factors/{id}",
      "/t/{tenant}/v1/mfa/passkeys",
      "/t/{tenant}/v1/mfa/passkeys/authentication/options",
      "/t/{tenant}/v1/mfa/passkeys/registration",
      "/t/{tenant}/v1/mfa/passkeys/registration/options",
      "/t/{tenant}/v1/mfa/passkeys/{id}",
      "/t/{tenant}/v1/mfa/recovery-codes",
      "/t/{tenant}/v1/mfa/totp",
      "/t/{tenant}/v1/mfa/totp/{id}/confirm",
      "/t/{tenant}/v1/mfa/verify",
      "/t/{tenant}/v1/oauth/{provider}/authorize",
      "/t/{tenant}/v1/oauth/{provider}/callback",
      "/t/{tenant}/v1/passkeys/authentication",
      "/t/{tenant}/v1/passkeys/authentication/options",
      "/t/{tenant}/v1/password/change",
      "/t/{tenant}/v1/password/forgot",
      "/t/{tenant}/v1/password/reset",
      "/t/{tenant}/v1/revoke",
      "/t/{tenant}/v1/saml/{connection}/acs",
      "/t/{tenant}/v1/saml/{connection}/login",
      "/t/{tenant}/v1/saml/{connection}/metadata",
      "/t/{tenant}/v1/sessions",
      "/t/{tenant}/v1/sessions/{id}",
      "/t/{tenant}/v1/signup",
      "/t/{tenant}/v1/token/exchange",
      "/t/{tenant}/v1/token/refresh",
      "/t/{tenant}/v1/userinfo",
      "/v1/admin/tenants",
      "/v1/admin/tenants/{slug}",
    ]);
    expect(Object.keys(doc.paths["/v1/admin/tenants"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/v1/admin/tenants/{slug}"] ?? {})).toEqual(["get"]);
    expect(Object.keys(doc.paths["/t/{tenant}/v1/sessions/{id}"] ?? {})).toEqual(["delete"]);
    expect(Object.keys(doc.paths["/t/{tenant}/v1/admin/redirect-uris"] ?? {}).sort()).toEqual(["get", "put"]);
    for (const [path, methods] of [
      ["/t/{tenant}/v1/admin/oauth-providers", ["get"]],
      ["/t/{tenant}/v1/admin/oauth-providers/{provider}", ["delete", "get", "put"]],
      ["/t/{tenant}/v1/admin/saml-connections", ["get"]],
      ["/t/{tenant}/v1/admin/saml-connections/{connection}", ["delete", "get", "put"]],
      ["/t/{tenant}/v1/admin/signing-keys", ["get"]],
    ] as const) {
      expect(Object.keys(doc.paths[path] ?? {}).sort()).toEqual(methods);
    }
    expect(Object.keys(doc.paths["/t/{tenant}/v1/admin/users/{id}"] ?? {}).sort()).toEqual(["delete", "get", "patch"]);
    expect(Object.keys(doc.paths["/t/{tenant}/v1/oauth/{provider}/callback"] ?? {}).sort()).toEqual(["get", "post"]);
  });

  it("builds the document once per app, the same document as generated from the routes, with an ETag", async () => {
    const app = createApp(t.deps, t.services);
    const generate = vi.spyOn(app, "getOpenAPI31Document");
    const first = await app.request("/openapi.json");
    const second = await app.request("/openapi.json");
    expect(generate).toHaveBeenCalledTimes(1);
    expect(first.headers.get("content-type")).toMatch(/^application\/json/);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(second.headers.get("etag")).toBe(etag);
    type Operations = Record<string, { responses: Record<string, unknown> } | undefined>;
    const served = (await first.json()) as { paths: Record<string, Operations> };
    expect(await second.json()).toEqual(served);
    // What the routes describe, with the limiter's 429 on every limited operation, unchanged by serving it from memory.
    const [config] = generate.mock.calls[0] ?? [];
    const generated = JSON.parse(JSON.stringify(app.getOpenAPI31Document(config as never)));
    expect(generated.paths["/t/{tenant}/v1/sessions/{id}"].delete.responses["429"]).toBeUndefined();
    expect(served).toEqual(finishDocument(generated));
    // The same answer as a route that declares its 429 itself.
    const declared = served.paths["/t/{tenant}/v1/login"]?.post?.responses["429"];
    expect(declared).toMatchObject({ content: { "application/problem+json": expect.any(Object) } });
    expect(served.paths["/t/{tenant}/v1/sessions/{id}"]?.delete?.responses["429"]).toEqual(declared);
    for (const path of ["/t/{tenant}/v1/signup", "/t/{tenant}/v1/token/refresh", "/t/{tenant}/v1/introspect"]) {
      expect(served.paths[path]?.post?.responses["429"]).toEqual(declared);
    }
    // Probes and scrapes are never limited, so never refused.
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const answers = Object.keys(served.paths[path]?.get?.responses ?? {});
      expect(answers, path).toContain("200");
      expect(answers, path).not.toContain("429");
    }
    expect(served).toMatchObject({ openapi: "3.1.0", servers: [{ url: TEST_PUBLIC_URL }] });

    const revalidated = await app.request("/openapi.json", { headers: { "If-None-Match": etag as string } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe("");
  });

  it("renders a reference at /docs", async () => {
    const response = await t.app.request("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("/openapi.json");
  });
});
