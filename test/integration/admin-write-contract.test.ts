/**
 * The admin API as automation uses it, on real Postgres and Redis: a write
 * that cannot be applied as sent is refused rather than half-applied.
 * Misspelt fields and parameters are 400 `validation_failed` naming them
 * (a dropped `overlap_seconds` would leave a leaked secret valid a day).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { type Answer, expectProblem, readAnswer } from "../support/problem.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  const tenant = await send("POST", "/v1/admin/tenants", { slug: "acme", name: "Acme" });
  expect(tenant.status, tenant.text).toBe(201);
});
afterAll(() => t.close());

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const ADMIN = "/t/acme/v1/admin";

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = admin) {
  const raw = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
  return readAnswer(await t.app.request(path, { method, headers, body: raw }));
}

/** 400 validation_failed whose errors name the unknown key. */
function expectUnrecognized(answer: Answer, key: string): void {
  expectProblem(answer, 400, "validation_failed");
  expect(answer.json.errors).toContainEqual({ path: "(body)", message: `Unrecognized key: "${key}"` });
}

async function confidentialClient(): Promise<string> {
  const created = await send("POST", `${ADMIN}/clients`, {
    name: "Billing",
    type: "confidential",
    redirect_uris: ["https://billing.example/callback"],
  });
  expect(created.status, created.text).toBe(201);
  return created.json.client_id as string;
}

describe("rotate-secret", () => {
  it("refuses a misspelt or unknown field instead of applying the default overlap", async () => {
    const id = await confidentialClient();
    expectUnrecognized(await send("POST", `${ADMIN}/clients/${id}/rotate-secret`, { overlap: 0 }), "overlap");
    expectUnrecognized(await send("POST", `${ADMIN}/clients/${id}/rotate-secret`, { zzz: 1 }), "zzz");
    expectUnrecognized(await send("POST", `${ADMIN}/clients/${id}/rotate-secret`, '{"limit":1e999}'), "limit");
    const rotated = await send("POST", `${ADMIN}/clients/${id}/rotate-secret`, { overlap_seconds: 0 });
    expect(rotated.status, rotated.text).toBe(200);
    const bare = await send("POST", `${ADMIN}/clients/${id}/rotate-secret`, undefined, {
      Authorization: admin.Authorization,
    });
    expect(bare.status, bare.text).toBe(200);
  });
});

describe("every admin write body is strict", () => {
  it("refuses `enable` at an OAuth provider instead of storing it enabled", async () => {
    const path = `${ADMIN}/oauth-providers/github`;
    expectUnrecognized(await send("PUT", path, { client_id: "a", client_secret: "b", enable: false }), "enable");
    const read = await send("GET", path);
    expectProblem(read, 404, "not_found");
  });

  it("refuses unknown fields at the redirect allowlist, branding, passkey settings and SAML connections", async () => {
    const uris = ["https://app.example/cb"];
    expectUnrecognized(
      await send("PUT", `${ADMIN}/redirect-uris`, { redirect_uris: uris, redirect_uri: [] }),
      "redirect_uri",
    );
    expectUnrecognized(
      await send("PUT", `${ADMIN}/branding`, { logo_url: null, accent_color: null, language: "en", accent: "#000000" }),
      "accent",
    );
    expectUnrecognized(await send("PUT", `${ADMIN}/passkey-settings`, { rp_id: null, rpid: "example.com" }), "rpid");
    expectUnrecognized(
      await send("PUT", `${ADMIN}/saml-connections/okta`, { idp_metadata_xml: "<x/>", enable: false }),
      "enable",
    );
    const mapping = await send("PUT", `${ADMIN}/saml-connections/okta`, {
      idp_metadata_xml: "<x/>",
      attribute_mapping: { mail: "urn:oid:0.9.2342.19200300.100.1.3" },
    });
    expectProblem(mapping, 400, "validation_failed");
    expect(mapping.json.errors).toContainEqual({ path: "attribute_mapping", message: 'Unrecognized key: "mail"' });
  });

  it("refuses unknown fields when a user renames a passkey", async () => {
    const api = appClient(t);
    expect((await api.signup("acme", "renamer@example.com")).status).toBe(201);
    const { access_token } = (await (await api.login("acme", "renamer@example.com")).json()) as TokenBody;
    const answer = await send(
      "PATCH",
      "/t/acme/v1/mfa/passkeys/00000000-0000-4000-8000-000000000000",
      { name: "Laptop", nickname: "x" },
      { ...JSON_HEADERS, Authorization: `Bearer ${access_token}` },
    );
    expectUnrecognized(answer, "nickname");
  });
});

describe("bodiless admin POSTs", () => {
  async function user(email: string): Promise<{ id: string; access: string }> {
    const api = appClient(t);
    const signup = (await (await api.signup("acme", email)).json()) as { user: { id: string } };
    const login = (await (await api.login("acme", email)).json()) as TokenBody;
    return { id: signup.user.id, access: login.access_token };
  }
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const active = async (token: string) => (await send("GET", "/t/acme/v1/me", undefined, bearer(token))).status;

  it("revoke-sessions refuses a misspelt query parameter and a body instead of ignoring them", async () => {
    const { id, access } = await user("revoked@example.com");
    const path = `${ADMIN}/users/${id}/revoke-sessions`;
    const query = await send("POST", `${path}?include_api_key=true`);
    expectProblem(query, 400, "validation_failed");
    expect(query.json.errors).toContainEqual({ path: "(query)", message: 'Unrecognized key: "include_api_key"' });
    expectUnrecognized(await send("POST", path, { include_api_keys: true }), "include_api_keys");
    expectProblem(await send("POST", path, "[]"), 400, "validation_failed");
    expect(await active(access)).toBe(200);
    // No body, an empty one or {} (what many clients send with every POST) still work.
    expect((await send("POST", path, undefined, { Authorization: admin.Authorization })).status).toBe(204);
    expect((await send("POST", path, "")).status).toBe(204);
    expect((await send("POST", `${path}?include_api_keys=true`, {})).status).toBe(204);
    expect(await active(access)).toBe(401);
  });

  it("mfa/reset and signing-keys/rotate refuse a query parameter or a body they would ignore", async () => {
    const { id } = await user("reset@example.com");
    for (const path of [`${ADMIN}/users/${id}/mfa/reset`, `${ADMIN}/signing-keys/rotate`]) {
      expectUnrecognized(await send("POST", path, { force: true }), "force");
      expectProblem(await send("POST", `${path}?dry_run=true`), 400, "validation_failed");
      expect((await send("POST", path, {})).status, path).toBeLessThan(300);
    }
  });
});

describe("If-Match on admin writes (RFC 9110 §13.1.1)", () => {
  const ifMatch = (value: string) => ({ ...admin, "If-Match": value });

  it("refuses a write whose If-Match names no current ETag and changes nothing", async () => {
    const id = await confidentialClient();
    const patch = await send("PATCH", `${ADMIN}/clients/${id}`, { name: "Renamed" }, ifMatch('"nope"'));
    expectProblem(patch, 412, "precondition_failed");
    expect((await send("GET", `${ADMIN}/clients/${id}`)).json.name).toBe("Billing");
    const before = (await send("GET", `${ADMIN}/redirect-uris`)).json;
    const put = await send("PUT", `${ADMIN}/redirect-uris`, { redirect_uris: [] }, ifMatch('W/"1", "2"'));
    expectProblem(put, 412, "precondition_failed");
    expect((await send("GET", `${ADMIN}/redirect-uris`)).json).toEqual(before);
    expectProblem(
      await send("DELETE", `${ADMIN}/clients/${id}`, undefined, ifMatch('"x"')),
      412,
      "precondition_failed",
    );
    expectProblem(
      await send("POST", "/v1/admin/tenants", { slug: "other", name: "Other" }, ifMatch('"x"')),
      412,
      "precondition_failed",
    );
    expectProblem(
      await send("POST", `${ADMIN}/signing-keys/rotate`, undefined, { ...ifMatch('"x"') }),
      412,
      "precondition_failed",
    );
  });

  it("lets `If-Match: *` configure a provider only when it exists, never create one", async () => {
    const provider = { client_id: "c", client_secret: "s" };
    expectProblem(
      await send("PUT", `${ADMIN}/oauth-providers/github`, provider, ifMatch("*")),
      412,
      "precondition_failed",
    );
    expect((await send("GET", `${ADMIN}/oauth-providers/github`)).status).toBe(404);
    expect((await send("PUT", `${ADMIN}/oauth-providers/github`, provider)).status).toBe(200);
    const again = await send("PUT", `${ADMIN}/oauth-providers/github`, { ...provider, enabled: false }, ifMatch("*"));
    expect(again.status, again.text).toBe(200);
    expect(again.json.enabled).toBe(false);
    expectProblem(
      await send("PUT", `${ADMIN}/saml-connections/nowhere`, { idp_metadata_xml: "<x/>" }, ifMatch("*")),
      412,
      "precondition_failed",
    );
  });

  it("lets `*` and reads through, and answers 401 before 412 (§13.2.1)", async () => {
    const id = await confidentialClient();
    const patch = await send("PATCH", `${ADMIN}/clients/${id}`, { name: "Renamed" }, ifMatch("*"));
    expect(patch.status, patch.text).toBe(200);
    expect((await send("GET", `${ADMIN}/clients/${id}`, undefined, ifMatch('"nope"'))).status).toBe(200);
    const anonymous = await send(
      "PATCH",
      `${ADMIN}/clients/${id}`,
      { name: "x" },
      { ...JSON_HEADERS, "If-Match": '"x"' },
    );
    expectProblem(anonymous, 401, "unauthorized");
  });
});

describe("201 Created names the new resource (RFC 9110 §10.2.2)", () => {
  it("sends Location to the tenant's and the client's GET routes, which read them back", async () => {
    const tenant = await send("POST", "/v1/admin/tenants", { slug: "located", name: "Located" });
    expect(tenant.status, tenant.text).toBe(201);
    expect(tenant.headers.get("location")).toBe("/v1/admin/tenants/located");
    expect((await send("GET", "/v1/admin/tenants/located")).json.slug).toBe("located");

    const client = await send("POST", `${ADMIN}/clients`, {
      name: "Located",
      type: "public",
      redirect_uris: ["https://located.example/cb"],
    });
    expect(client.status, client.text).toBe(201);
    const location = client.headers.get("location");
    expect(location).toBe(`${ADMIN}/clients/${client.json.client_id}`);
    expect((await send("GET", location as string)).json.client_id).toBe(client.json.client_id);
  });
});
