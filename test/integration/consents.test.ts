/**
 * Users' consents to OAuth clients on real Postgres and Redis: remembered
 * per user and client (scopes widen with each grant), listed at
 * `GET /v1/consents`, and withdrawn at `DELETE /v1/consents/{client_id}`,
 * which also ends the user's sessions of that client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import { JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

let s: SessionsApp;
let tenant: Tenant;
beforeAll(async () => {
  s = await startSessionsApp();
  tenant = (await s.t.deps.db.tenants.findBySlug("acme")) as Tenant;
});
afterAll(async () => {
  await s.close();
});

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
async function register(name: string): Promise<string> {
  const response = await s.t.app.request("/t/acme/v1/admin/clients", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name, type: "public", redirect_uris: ["https://app.example/cb"] }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { client_id: string }).client_id;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const listConsents = async (token: string) => {
  const response = await s.t.app.request("/t/acme/v1/consents", { headers: bearer(token) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { consents: Record<string, unknown>[] }).consents;
};
const withdraw = (token: string, clientId: string) =>
  s.t.app.request(`/t/acme/v1/consents/${clientId}`, { method: "DELETE", headers: bearer(token) });

/** A second login of the user, handed to the client in the ledger (until the token endpoint issues such sessions). */
async function sessionAt(clientId: string): Promise<TokenBody> {
  const login = (await (await s.api.login("acme", s.lastEmail())).json()) as TokenBody;
  await s.db.query("UPDATE sessions SET client_id = $1 WHERE id = $2", [clientId, login.session_id]);
  return login;
}

describe("consents", () => {
  it("remembers what a user granted each client, widening with each grant", async () => {
    const user = await s.signup();
    const [calendar, notes] = [await register("Calendar"), await register("Notes")];
    const { consents } = s.t.services;
    expect(await consents.granted(tenant, user.user.id, calendar)).toBeNull();

    await consents.grant(tenant, user.user.id, calendar, ["openid", "email"]);
    s.clock.advance(60_000);
    await consents.grant(tenant, user.user.id, notes, ["openid"]);
    s.clock.advance(60_000);
    await consents.grant(tenant, user.user.id, calendar, ["profile", "openid"]);
    expect(await consents.granted(tenant, user.user.id, calendar)).toEqual(["email", "openid", "profile"]);

    expect(await listConsents(user.access_token)).toEqual([
      {
        client_id: calendar,
        client_name: "Calendar",
        scopes: ["email", "openid", "profile"],
        granted_at: s.clock.now().toISOString(),
      },
      {
        client_id: notes,
        client_name: "Notes",
        scopes: ["openid"],
        granted_at: new Date(s.clock.now().getTime() - 60_000).toISOString(),
      },
    ]);
    // Another user has consented to nothing.
    const other = await s.signup();
    expect(await listConsents(other.access_token)).toEqual([]);
    expect(await consents.granted(tenant, other.user.id, calendar)).toBeNull();
  });

  it("withdraws a consent and ends the user's sessions of that client, and only those", async () => {
    const user = await s.signup();
    const [calendar, notes] = [await register("Calendar"), await register("Notes")];
    await s.t.services.consents.grant(tenant, user.user.id, calendar, ["openid"]);
    await s.t.services.consents.grant(tenant, user.user.id, notes, ["openid"]);
    const atCalendar = await sessionAt(calendar);
    const atNotes = await sessionAt(notes);
    // Someone else's session at the same client stays.
    await s.signup();
    const othersAtCalendar = await sessionAt(calendar);

    const response = await withdraw(user.access_token, calendar);
    expect(response.status).toBe(204);
    await s.expectInvalidGrant(await s.api.refresh("acme", atCalendar.refresh_token));
    await s.expectRevoked("acme", atCalendar.access_token);
    expect(await s.sessionRow(atCalendar.session_id)).toMatchObject({ revoked_reason: "consent_revoked" });
    await s.refreshOk("acme", atNotes.refresh_token);
    await s.refreshOk("acme", othersAtCalendar.refresh_token);
    await s.refreshOk("acme", user.refresh_token);

    expect(await s.t.services.consents.granted(tenant, user.user.id, calendar)).toBeNull();
    expect((await listConsents(user.access_token)).map((c) => c.client_id)).toEqual([notes]);
    expectProblem(await readAnswer(await withdraw(user.access_token, calendar)), 404, "not_found");

    // Security events are written after the answer.
    await s.t.services.background.drain();
    const audit = await s.t.app.request("/t/acme/v1/admin/audit-events?action=consent.revoked", { headers: admin });
    expect(((await audit.json()) as { events: unknown[] }).events).toContainEqual(
      expect.objectContaining({ actor: { type: "user", id: user.user.id }, target: { type: "client", id: calendar } }),
    );
  });

  it("forgets consents to deleted clients", async () => {
    const user = await s.signup();
    const gone = await register("Gone");
    await s.t.services.consents.grant(tenant, user.user.id, gone, ["openid"]);
    expect(
      (await s.t.app.request(`/t/acme/v1/admin/clients/${gone}`, { method: "DELETE", headers: admin })).status,
    ).toBe(204);
    expect(await listConsents(user.access_token)).toEqual([]);
    expect(await s.t.services.consents.granted(tenant, user.user.id, gone)).toBeNull();
    expectProblem(await readAnswer(await withdraw(user.access_token, gone)), 404, "not_found");
  });

  it("needs an access token and answers 404 for unknown clients", async () => {
    const user = await s.signup();
    expectProblem(await readAnswer(await s.t.app.request("/t/acme/v1/consents")), 401, "unauthorized");
    expectProblem(
      await readAnswer(await s.t.app.request("/t/acme/v1/consents/whatever", { method: "DELETE" })),
      401,
      "unauthorized",
    );
    expectProblem(await readAnswer(await withdraw(user.access_token, "abcdefghijklmnopqrstuv")), 404, "not_found");
  });
});
