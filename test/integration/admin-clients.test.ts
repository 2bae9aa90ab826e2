/**
 * OAuth client registration by an admin (`/v1/admin/clients`) on real
 * Postgres and Redis: a confidential client's secret is shown once and in
 * no later answer, log line or audit entry; redirect URIs follow the
 * allowlist's rules; deleting a client ends its sessions; a rotated secret
 * keeps working for its overlap (pinned clock).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { deletePrefix } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

type Json = Record<string, unknown>;

let s: SessionsApp;
beforeAll(async () => {
  s = await startSessionsApp();
});
afterAll(async () => {
  // No log line ever held a secret that was shown.
  for (const secret of shown) expect(s.logLines.join("\n")).not.toContain(secret);
  await s.close();
});

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const CLIENTS = "/t/acme/v1/admin/clients";
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Every secret an answer has shown: no later answer may hold one again. */
const shown: string[] = [];

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = admin) {
  const answer = await readAnswer(
    await s.t.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
  );
  for (const secret of shown) expect(answer.text).not.toContain(secret);
  const fresh = answer.json.client_secret;
  if (typeof fresh === "string") shown.push(fresh);
  return answer;
}

const app = (overrides: Json = {}) => ({
  name: "Billing",
  type: "confidential",
  redirect_uris: ["https://billing.example/callback"],
  ...overrides,
});

async function register(body: Json = app()): Promise<Json & { client_id: string; client_secret?: string }> {
  const answer = await send("POST", CLIENTS, body);
  expect(answer.status, answer.text).toBe(201);
  expect(answer.headers.get("cache-control")).toBe("no-store");
  return answer.json as Json & { client_id: string };
}

/** Whether the client authenticates with this secret (HTTP Basic at the introspection endpoint). */
async function authenticates(clientId: string, secret: string): Promise<boolean> {
  const response = await s.t.app.request("/t/acme/v1/introspect", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${btoa(`${clientId}:${secret}`)}`,
    },
    body: "token=anything",
  });
  if (response.status === 200) return true;
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ error: "invalid_client" });
  return false;
}

const auditEntries = async (action: string) => {
  const answer = await send("GET", `/t/acme/v1/admin/audit-events?action=${action}`);
  expect(answer.status).toBe(200);
  return answer.json.events as Json[];
};

describe("registering a client", () => {
  it("shows a confidential client's secret once, stores only its SHA-256, and never shows it again", async () => {
    const created = await register(
      app({ post_logout_redirect_uris: ["https://billing.example/"], scopes: ["openid", "email"] }),
    );
    const secret = created.client_secret as string;
    expect(secret).toMatch(SECRET_SHAPE);
    const now = s.clock.now().toISOString();
    const view = {
      client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      name: "Billing",
      type: "confidential",
      redirect_uris: ["https://billing.example/callback"],
      post_logout_redirect_uris: ["https://billing.example/"],
      grant_types: ["authorization_code", "refresh_token"],
      scopes: ["openid", "email"],
      first_party: false,
      access_token_ttl: null,
      refresh_token_ttl: null,
      created_at: now,
      updated_at: now,
    };
    expect(created).toEqual({ ...view, client_secret: secret });

    const row = (await s.db.query("SELECT * FROM oauth_clients WHERE client_id = $1", [created.client_id])).rows[0];
    expect(row.secret_hash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(secret);

    // Every later answer is scanned by send(); these are the ones that show the client.
    const one = await send("GET", `${CLIENTS}/${created.client_id}`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual(view);
    const list = await send("GET", CLIENTS);
    expect(list.json.clients).toContainEqual(view);
    expect((await send("PATCH", `${CLIENTS}/${created.client_id}`, { name: "Billing 2" })).status).toBe(200);
    const [entry] = await auditEntries("admin.clients.create");
    expect(entry).toMatchObject({
      actor: { type: "bootstrap" },
      target: { type: "client", id: created.client_id },
      details: { fields: expect.arrayContaining(["type", "redirect_uris"]), type: "confidential" },
    });
    expect(await authenticates(created.client_id, secret)).toBe(true);
  });

  it("registers a public client without a secret, with the default grants and scopes", async () => {
    const created = await register(app({ name: "SPA", type: "public", redirect_uris: ["http://localhost:5173/cb"] }));
    expect(created).not.toHaveProperty("client_secret");
    expect(created).toMatchObject({
      type: "public",
      grant_types: ["authorization_code", "refresh_token"],
      scopes: ["openid", "profile", "email"],
    });
    const row = (await s.db.query("SELECT secret_hash FROM oauth_clients WHERE client_id = $1", [created.client_id]))
      .rows[0];
    expect(row.secret_hash).toBeNull();
  });

  it("takes every kind of redirect URI the allowlist takes, each once", async () => {
    const uris = [
      "https://app.example/cb",
      "https://app.example/cb?tenant=a",
      "http://127.0.0.1:8080/cb",
      "http://localhost/cb",
      "http://[::1]:3000/cb",
      "com.example.app:/oauth2redirect",
    ];
    const created = await register(app({ redirect_uris: [...uris, uris[0]], post_logout_redirect_uris: uris }));
    expect(created.redirect_uris).toEqual(uris);
    expect(created.post_logout_redirect_uris).toEqual(uris);
  });

  const unusable = [
    "",
    "/relative/cb",
    "app.example/cb",
    " https://app.example/cb",
    "https://app.example/c b",
    "https://app.example/cb#fragment",
    "https://app.example/cb#",
    "https:\\\\evil.example/cb",
    "https://*.example.com/cb",
    "https://user:pw@app.example/cb",
    "https://user@app.example/cb",
    "http:/127.0.0.1/cb",
    "https:app.example/cb",
    "http://evil.example/cb",
    "http://app.example.com/callback",
    "javascript:alert(1)",
    "javascript:alert(1)//https://app.example/cb",
    "JAVASCRIPT:alert(1)",
    "data:text/html,https://app.example/cb",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "blob:https://app.example/uuid",
    "about:blank",
    "https://app.example/cb\u0000",
    "https://app.example/\ncb",
    `https://app.example/${"a".repeat(2048)}`,
  ];

  const labelled = unusable.map((uri) => [uri.length > 80 ? `of ${uri.length} characters` : JSON.stringify(uri), uri]);
  it.each(labelled)("refuses the redirect URI %s with 400 validation_failed", async (_, uri) => {
    for (const field of ["redirect_uris", "post_logout_redirect_uris"]) {
      const answer = await send("POST", CLIENTS, app({ [field]: ["https://ok.example/cb", uri] }));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toContainEqual({ path: `${field}.1`, message: expect.any(String) });
    }
  });

  it("refuses grants a client cannot have", async () => {
    const refused = async (body: Json, path: string) => {
      const answer = await send("POST", CLIENTS, body);
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toContainEqual({ path, message: expect.any(String) });
    };
    await refused(app({ type: "public", grant_types: ["authorization_code", "client_credentials"] }), "grant_types");
    await refused(app({ grant_types: ["refresh_token"] }), "grant_types");
    await refused(app({ grant_types: [] }), "grant_types");
    await refused(app({ grant_types: ["password"] }), "grant_types.0");
    await refused(app({ redirect_uris: [] }), "redirect_uris");
    await refused(app({ scopes: ["open id"] }), "scopes.0");
    await refused(app({ type: "spa" }), "type");
    await refused(app({ name: "" }), "name");
    await refused(app({ access_token_ttl: 59 }), "access_token_ttl");
    await refused(app({ refresh_token_ttl: 10 }), "refresh_token_ttl");
    const { redirect_uris: _, ...noUris } = app();
    await refused(noUris, "redirect_uris");
  });

  it("registers a machine client (client_credentials only) without redirect URIs", async () => {
    const created = await register(app({ name: "Cron", redirect_uris: [], grant_types: ["client_credentials"] }));
    expect(created).toMatchObject({ grant_types: ["client_credentials"], redirect_uris: [] });
    expect(created.client_secret).toMatch(SECRET_SHAPE);
  });

  it("needs the admin scope", async () => {
    const anonymous = await send("POST", CLIENTS, app(), JSON_HEADERS);
    expectProblem(anonymous, 401, "unauthorized");
    for (const [method, path] of [
      ["GET", CLIENTS],
      ["GET", `${CLIENTS}/abcdefghijklmnopqrstuv`],
      ["DELETE", `${CLIENTS}/abcdefghijklmnopqrstuv`],
      ["POST", `${CLIENTS}/abcdefghijklmnopqrstuv/rotate-secret`],
    ] as const) {
      expect((await send(method, path, undefined, {})).status).toBe(401);
    }
  });
});

describe("changing a client", () => {
  it("changes any field, and checks the client as a whole", async () => {
    const created = await register(app({ access_token_ttl: 300 }));
    const path = `${CLIENTS}/${created.client_id}`;
    s.clock.advance(60_000);
    const changed = await send("PATCH", path, {
      type: "confidential",
      name: "Billing (EU)",
      redirect_uris: ["https://eu.billing.example/callback"],
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      scopes: ["openid", "billing:read"],
      first_party: true,
      access_token_ttl: null,
      refresh_token_ttl: 3600,
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toEqual({
      ...created,
      client_secret: undefined,
      name: "Billing (EU)",
      redirect_uris: ["https://eu.billing.example/callback"],
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      scopes: ["openid", "billing:read"],
      first_party: true,
      access_token_ttl: null,
      refresh_token_ttl: 3600,
      updated_at: s.clock.now().toISOString(),
    });
    expect((await send("GET", path)).json).toEqual(changed.json);

    // A change that leaves the rest alone.
    const renamed = await send("PATCH", path, { name: "Billing" });
    expect(renamed.json).toEqual({ ...changed.json, name: "Billing" });

    // A public client may not have client_credentials (changing the type itself: client-type-change.test.ts).
    const publicWithMachineGrant = await send("PATCH", path, { type: "public" });
    expectProblem(publicWithMachineGrant, 400, "validation_failed");
    expect(publicWithMachineGrant.json.errors).toEqual([{ path: "grant_types", message: expect.any(String) }]);
    expectProblem(await send("PATCH", path, { redirect_uris: ["javascript:alert(1)"] }), 400, "validation_failed");
    expectProblem(await send("PATCH", path, { redirect_uris: [] }), 400, "validation_failed");
    expectProblem(await send("PATCH", path, { grant_types: ["refresh_token"] }), 400, "validation_failed");
    // None of the refused changes landed.
    expect((await send("GET", path)).json).toEqual(renamed.json);
  });

  it("refuses client_credentials for a public client on change too", async () => {
    const spa = await register(app({ type: "public" }));
    const answer = await send("PATCH", `${CLIENTS}/${spa.client_id}`, {
      grant_types: ["authorization_code", "client_credentials"],
    });
    expectProblem(answer, 400, "validation_failed");
    expect(answer.json.errors).toContainEqual({ path: "grant_types", message: expect.any(String) });
  });

  it("refuses fields it does not know (a chosen secret or id) instead of dropping them, and audits only what changed", async () => {
    const created = await register();
    for (const body of [
      { client_secret: "mine" },
      { client_id: "mine" },
      { name: "x", created_at: "2020-01-01T00:00:00Z" },
    ]) {
      expectProblem(await send("PATCH", `${CLIENTS}/${created.client_id}`, body), 400, "validation_failed");
    }
    expectProblem(await send("POST", CLIENTS, app({ client_secret: "mine" })), 400, "validation_failed");
    // Every admin write is strict (the redirect allowlist too), and records only the fields it took.
    const uris = ["https://billing.example/callback"];
    const bogus = await send("PUT", "/t/acme/v1/admin/redirect-uris", { redirect_uris: uris, bogus: 1 });
    expectProblem(bogus, 400, "validation_failed");
    const put = await send("PUT", "/t/acme/v1/admin/redirect-uris", { redirect_uris: uris });
    expect(put.status).toBe(200);
    const [entry] = (await auditEntries("admin.redirect_uris.set")).slice(-1);
    expect(entry?.details).toMatchObject({ fields: ["redirect_uris"] });
  });

  it("answers 404 for unknown, malformed and other tenants' clients", async () => {
    const created = await register();
    for (const id of ["abcdefghijklmnopqrstuv", "nope", "a%2Fb", "a".repeat(300)]) {
      expectProblem(await send("GET", `${CLIENTS}/${id}`), 404, "not_found");
      expectProblem(await send("PATCH", `${CLIENTS}/${id}`, { name: "x" }), 404, "not_found");
      expectProblem(await send("DELETE", `${CLIENTS}/${id}`), 404, "not_found");
    }
    expectProblem(await send("GET", `/t/other/v1/admin/clients/${created.client_id}`), 404, "not_found");
    expectProblem(await send("DELETE", `/t/other/v1/admin/clients/${created.client_id}`), 404, "not_found");
    expect((await send("GET", "/t/other/v1/admin/clients")).json).toEqual({ clients: [], next_cursor: null });
  });
});

describe("deleting a client", () => {
  it("ends the client's sessions at once, leaves the user's others alone, and forgets the client", async () => {
    const created = await register();
    const ofClient = await s.signup();
    const firstParty = (await (await s.api.login("acme", s.lastEmail())).json()) as { refresh_token: string };
    // Until the token endpoint issues sessions to clients, one is made by handing a session to the client in the ledger.
    await s.db.query("UPDATE sessions SET client_id = $1 WHERE id = $2", [created.client_id, ofClient.session_id]);

    const deleted = await send("DELETE", `${CLIENTS}/${created.client_id}`);
    expect(deleted.status).toBe(204);
    await s.expectInvalidGrant(await s.api.refresh("acme", ofClient.refresh_token));
    await s.expectRevoked("acme", ofClient.access_token);
    expect(await s.sessionRow(ofClient.session_id)).toMatchObject({ revoked_reason: "client_deleted" });
    await s.refreshOk("acme", firstParty.refresh_token);

    expectProblem(await send("GET", `${CLIENTS}/${created.client_id}`), 404, "not_found");
    expectProblem(await send("DELETE", `${CLIENTS}/${created.client_id}`), 404, "not_found");
    expect(((await send("GET", CLIENTS)).json.clients as Json[]).map((c) => c.client_id)).not.toContain(
      created.client_id,
    );
    expect(await authenticates(created.client_id, created.client_secret as string)).toBe(false);
    expect(await auditEntries("admin.clients.delete")).toContainEqual(
      expect.objectContaining({ target: { type: "client", id: created.client_id } }),
    );
  });

  it("ends a deleted client's own tokens (client credentials) at once, and still after Redis lost its data", async () => {
    const machine = () => register(app({ name: "Cron", redirect_uris: [], grant_types: ["client_credentials"] }));
    const tokenOf = async (client: { client_id: string; client_secret?: string }) => {
      const response = await s.t.app.request("/t/acme/oauth2/token", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`,
        },
        body: "grant_type=client_credentials",
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const active = async (token: string) =>
      (await send("POST", "/t/acme/v1/introspect", { token })).json.active as boolean;
    const [doomed, kept] = [await machine(), await machine()];
    const [first, second, keptToken] = [await tokenOf(doomed), await tokenOf(doomed), await tokenOf(kept)];
    expect(await active(first)).toBe(true);

    expect((await send("DELETE", `${CLIENTS}/${doomed.client_id}`)).status).toBe(204);
    expect(await active(first)).toBe(false);
    expect(await active(second)).toBe(false);
    expect(await active(keptToken)).toBe(true);
    // Redis loses everything: the ledger (the client's row) decides.
    await deletePrefix(s.t.prefix);
    expect(await active(second)).toBe(false);
    expect(await active(keptToken)).toBe(true);
  });
});

describe("rotating a secret", () => {
  const rotate = (clientId: string, body?: Json) =>
    send(
      "POST",
      `${CLIENTS}/${clientId}/rotate-secret`,
      body,
      body === undefined ? { Authorization: admin.Authorization } : admin,
    );

  async function rotated(clientId: string, body?: Json): Promise<string> {
    const answer = await rotate(clientId, body);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.json.client_secret).toMatch(SECRET_SHAPE);
    return answer.json.client_secret as string;
  }

  it("keeps the replaced secret working for a day by default, then only the new one", async () => {
    const created = await register();
    const old = created.client_secret as string;
    const fresh = await rotated(created.client_id);
    expect(fresh).not.toBe(old);
    expect(await authenticates(created.client_id, fresh)).toBe(true);
    s.clock.advance(86_400_000 - 1_000);
    expect(await authenticates(created.client_id, old)).toBe(true);
    s.clock.advance(2_000);
    expect(await authenticates(created.client_id, old)).toBe(false);
    expect(await authenticates(created.client_id, fresh)).toBe(true);
    expect(await auditEntries("admin.clients.rotate_secret")).toContainEqual(
      expect.objectContaining({ target: { type: "client", id: created.client_id } }),
    );
  });

  it("takes an overlap of 0 to 7 days; a secret rotated out earlier stops at the next rotation", async () => {
    const created = await register();
    const first = created.client_secret as string;
    const second = await rotated(created.client_id, { overlap_seconds: 7 * 86_400 });
    const third = await rotated(created.client_id, { overlap_seconds: 3600 });
    expect(await authenticates(created.client_id, first)).toBe(false);
    expect(await authenticates(created.client_id, second)).toBe(true);
    const fourth = await rotated(created.client_id, { overlap_seconds: 0 });
    expect(await authenticates(created.client_id, third)).toBe(false);
    expect(await authenticates(created.client_id, fourth)).toBe(true);
    expect(await auditEntries("admin.clients.rotate_secret")).toContainEqual(
      expect.objectContaining({
        target: { type: "client", id: created.client_id },
        details: { fields: ["overlap_seconds"], overlap_seconds: 0 },
      }),
    );

    for (const overlap of [-1, 7 * 86_400 + 1, 1.5, "60"]) {
      expectProblem(await rotate(created.client_id, { overlap_seconds: overlap }), 400, "validation_failed");
    }
  });

  it("refuses a public client (no secret) and unknown clients", async () => {
    const spa = await register(app({ type: "public" }));
    expectProblem(await rotate(spa.client_id), 400, "public_client");
    expectProblem(await rotate("abcdefghijklmnopqrstuv"), 404, "not_found");
  });
});
