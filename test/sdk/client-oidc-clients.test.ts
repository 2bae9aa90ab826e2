/**
 * The SDK client's administration of OAuth clients and a user's consents
 * against the real service: registering (the secret once), reading,
 * changing, rotating the secret with its overlap, deleting, and listing and
 * withdrawing consents, with the failures as typed results.
 */
import { type AuthPrincipal, createVerifier, withAuth } from "@authority/sdk";
import { createClient, pages } from "@authority/sdk/client";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import {
  countingFetch,
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  TEST_ADMIN_KEY,
  unwrap,
} from "./client-harness.js";

const TENANT = "oidc-sdk";
let s: ServedApp;
let admin: ReturnType<typeof createClient>;
let tenant: Tenant;

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: TENANT, name: "OIDC SDK" }));
  admin = s.admin.withTenant(TENANT);
  tenant = (await s.t.deps.db.tenants.findBySlug(TENANT)) as Tenant;
});
afterAll(async () => {
  await s?.close();
});

/** Whether the secret authenticates its client (HTTP Basic at the introspection endpoint). */
async function authenticates(clientId: string, secret: string): Promise<boolean> {
  const response = await fetch(`${s.baseUrl}/t/${TENANT}/v1/introspect`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${btoa(`${clientId}:${secret}`)}`,
    },
    body: "token=x",
  });
  return response.status === 200;
}

describe("admin: OAuth clients", () => {
  it("registers, reads, lists, changes and deletes a client; its secret appears once", async () => {
    const created = unwrap(
      await admin.admin.createClient({
        name: "Billing",
        type: "confidential",
        redirect_uris: ["https://billing.example/callback"],
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      }),
    );
    const { client_secret: secret, ...view } = created;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(view).toMatchObject({ name: "Billing", type: "confidential", scopes: ["openid", "profile", "email"] });
    expect(await authenticates(created.client_id, secret as string)).toBe(true);

    expect(unwrap(await admin.admin.getClient(created.client_id))).toEqual(view);
    expect(unwrap(await admin.admin.listClients()).clients).toContainEqual(view);
    const changed = unwrap(
      await admin.admin.updateClient(created.client_id, { first_party: true, scopes: ["openid"] }),
    );
    expect(changed).toEqual({ ...view, first_party: true, scopes: ["openid"], updated_at: changed.updated_at });
    expect(changed).not.toHaveProperty("client_secret");

    unwrap(await admin.admin.deleteClient(created.client_id));
    expectFailure(await admin.admin.getClient(created.client_id), 404, "not_found");
    expectFailure(await admin.admin.deleteClient(created.client_id), 404, "not_found");
  });

  it("lists the clients a page at a time with next_cursor, and pages() walks them all", async () => {
    const paged = s.admin.withTenant("oidc-sdk-pages");
    unwrap(await s.admin.admin.createTenant({ slug: "oidc-sdk-pages", name: "Pages" }));
    const ids: string[] = [];
    for (const name of ["One", "Two", "Three"]) {
      const body = { name, type: "public" as const, redirect_uris: ["https://spa.example/cb"] };
      ids.push(unwrap(await paged.admin.createClient(body)).client_id);
    }
    const first = unwrap(await paged.admin.listClients({ limit: 2 }));
    expect(first.clients).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const walked: string[] = [];
    for await (const page of pages((cursor) => paged.admin.listClients({ cursor, limit: 2 }))) {
      walked.push(...unwrap(page).clients.map((c) => c.client_id));
    }
    expect(walked.sort()).toEqual(ids.sort());
    expect(unwrap(await paged.admin.listClients()).next_cursor).toBeNull();
    expectFailure(await paged.admin.listClients({ cursor: "zzz" }), 400, "validation_failed");
    expectFailure(await paged.admin.listClients({ limit: 0 }), 400, "validation_failed");
  });

  it("registers a public client without a secret", async () => {
    const spa = unwrap(
      await admin.admin.createClient({ name: "SPA", type: "public", redirect_uris: ["http://localhost:5173/cb"] }),
    );
    expect(spa).not.toHaveProperty("client_secret");
    expectFailure(await admin.admin.rotateClientSecret(spa.client_id), 400, "public_client");
  });

  it("rotates a secret, sending only the overlap", async () => {
    const counting = countingFetch();
    const watched = createClient({
      baseUrl: s.baseUrl,
      tenant: TENANT,
      apiKey: TEST_ADMIN_KEY,
      fetch: counting.fetch,
    });
    const created = unwrap(
      await watched.admin.createClient({
        name: "Cron",
        type: "confidential",
        redirect_uris: [],
        grant_types: ["client_credentials"],
      }),
    );
    const rotated = unwrap(
      await watched.admin.rotateClientSecret(created.client_id, { overlap_seconds: 0, extra: "x" } as never),
    );
    expect(rotated.client_secret).not.toBe(created.client_secret);
    expect(counting.sent.at(-1)?.body).toBe('{"overlap_seconds":0}');
    expect(await authenticates(created.client_id, rotated.client_secret)).toBe(true);
    expect(await authenticates(created.client_id, created.client_secret as string)).toBe(false);
  });

  it("gives a client's own token (client credentials) no subject in the middleware: it acts for no user", async () => {
    const created = unwrap(
      await admin.admin.createClient({
        name: "Worker",
        type: "confidential",
        redirect_uris: [],
        grant_types: ["client_credentials"],
      }),
    );
    const response = await fetch(`${s.baseUrl}/t/${TENANT}/oauth2/token`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: `Basic ${btoa(`${created.client_id}:${created.client_secret}`)}`,
      },
      body: "grant_type=client_credentials",
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    let seen: AuthPrincipal | undefined;
    const handler = withAuth(
      async (_request, auth) => {
        seen = auth;
        return new Response("ok");
      },
      {
        tokens: createVerifier({
          issuer: decodeJwt(token).iss as string,
          jwksUrl: `${s.baseUrl}/t/${TENANT}/.well-known/jwks.json`,
        }),
      },
    );
    const answer = await handler(
      new Request("http://api.example/x", { headers: { Authorization: `Bearer ${token}` } }),
    );
    expect(answer.status).toBe(200);
    expect(seen).toMatchObject({ type: "access_token", subject: null, clientId: created.client_id });
  });

  it("answers refused input with typed failures", async () => {
    expectFailure(
      await admin.admin.createClient({ name: "Bad", type: "public", redirect_uris: ["javascript:alert(1)"] }),
      400,
      "validation_failed",
    );
    expectFailure(await admin.admin.updateClient("abcdefghijklmnopqrstuv", { name: "x" }), 404, "not_found");
    expect(() => admin.admin.getClient("")).toThrow(TypeError);
  });
});

describe("consents", () => {
  it("lists and withdraws the user's consents", async () => {
    const user = createClient({ baseUrl: s.baseUrl, tenant: TENANT });
    const signed = unwrap(await user.signup({ email: email("consent"), password: GOOD_PASSWORD }));
    const app = unwrap(
      await admin.admin.createClient({ name: "Notes", type: "public", redirect_uris: ["https://notes.example/cb"] }),
    );
    await s.t.services.consents.grant(tenant, signed.user.id, app.client_id, ["openid", "email"]);

    expect(unwrap(await user.listConsents())).toEqual({
      consents: [
        { client_id: app.client_id, client_name: "Notes", scopes: ["email", "openid"], granted_at: expect.any(String) },
      ],
    });
    unwrap(await user.revokeConsent(app.client_id));
    expect(unwrap(await user.listConsents())).toEqual({ consents: [] });
    expectFailure(await user.revokeConsent(app.client_id), 404, "not_found");
  });
});
