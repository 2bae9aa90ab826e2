/**
 * Changing an OAuth client's type by `PATCH /v1/admin/clients/{id}` on real
 * Postgres and Redis. To confidential: a new secret, shown once, needed from
 * then on (refresh tokens included). To public: the secret is gone (sending
 * it is `invalid_client`, as for any public client), every session and
 * token issued to the client ends (RFC 6749 §10.4), and a code issued
 * without PKCE can no longer be redeemed. Grants are checked against the new
 * type; repeating the current type changes nothing.
 */
import { createHash } from "node:crypto";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { withFailingScript } from "../support/failing-store.js";
import { basicAuth, oauthFixtures, REDIRECT_URI, type RegisteredClient, tokenRequest } from "../support/oidc.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

type Json = Record<string, unknown>;

let s: SessionsApp;
let fx: ReturnType<typeof oauthFixtures>;
beforeAll(async () => {
  s = await startSessionsApp();
  fx = oauthFixtures(s.t, "acme");
});
afterAll(async () => {
  // No log line ever held a secret that was shown.
  for (const secret of shown) expect(s.logLines.join("\n")).not.toContain(secret);
  await s.close();
});

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Every secret an answer has shown: no later answer may hold one again. */
const shown: string[] = [];

async function send(method: string, path: string, body?: unknown) {
  const answer = await readAnswer(
    await s.t.app.request(path, {
      method,
      headers: admin,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  for (const secret of shown) expect(answer.text).not.toContain(secret);
  if (typeof answer.json.client_secret === "string") shown.push(answer.json.client_secret);
  return answer;
}

const patch = (client: RegisteredClient, body: Json) =>
  send("PATCH", `/t/acme/v1/admin/clients/${client.client_id}`, body);
const row = async (client: RegisteredClient) =>
  (await s.db.query("SELECT * FROM oauth_clients WHERE client_id = $1", [client.client_id])).rows[0] as Json;

/** A code of the client for a fresh user (with PKCE unless `withoutPkce`), and the form that redeems it. */
async function codeOf(client: RegisteredClient, withoutPkce = false) {
  const user = await fx.login();
  const { code, verifier } = await fx.code({
    clientId: client.client_id,
    ...user,
    ...(withoutPkce ? { codeChallenge: null } : {}),
  });
  const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI };
  return withoutPkce ? form : { ...form, code_verifier: verifier };
}

/** The token endpoint as the client: HTTP Basic with `secret`, or its client_id alone when that is null. */
const asClient = (client: RegisteredClient, form: Record<string, string>, secret = client.client_secret ?? null) =>
  secret === null
    ? tokenRequest(s.t, "acme", { ...form, client_id: client.client_id })
    : tokenRequest(s.t, "acme", form, { Authorization: basicAuth({ ...client, client_secret: secret }) });

async function tokens(response: Response): Promise<{ access_token: string; refresh_token: string }> {
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

async function expectOAuthError(response: Response, status: number, error: string) {
  expect(response.status, await response.clone().text()).toBe(status);
  expect(await response.json()).toMatchObject({ error });
}

const refreshing = (refreshToken: string) => ({ grant_type: "refresh_token", refresh_token: refreshToken });
const active = async (accessToken: string) =>
  (await send("POST", "/t/acme/v1/introspect", { token: accessToken })).json.active as boolean;
const audited = async (action: string, clientId: string) =>
  (
    (await send("GET", `/t/acme/v1/admin/audit-events?action=${action}&target_id=${clientId}`)).json.events as Json[]
  ).map((event) => event.details);

describe("confidential to public", () => {
  it("removes the secret and ends every session and token the client had; PKCE only from then on", async () => {
    const web = await fx.register({
      type: "confidential",
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
    });
    const before = await tokens(await asClient(web, await codeOf(web)));
    const { sid } = decodeJwt(before.access_token);
    const own = await tokens(await asClient(web, { grant_type: "client_credentials" }));
    const [unbound, bound] = [await codeOf(web, true), await codeOf(web)];
    await s.t.services.clients.rotateSecret(await fx.tenantOf(), web.client_id, 3600);

    // client_credentials needs a confidential client: the grants are checked against the new type, nothing changes.
    const refused = await patch(web, { type: "public" });
    expectProblem(refused, 400, "validation_failed");
    expect(refused.json.errors).toEqual([{ path: "grant_types", message: expect.stringMatching(/confidential/) }]);
    expect(await row(web)).toMatchObject({ type: "confidential", secret_hash: expect.any(String) });
    expect(await active(own.access_token)).toBe(true);

    const changed = await patch(web, { type: "public", grant_types: ["authorization_code", "refresh_token"] });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ type: "public", grant_types: ["authorization_code", "refresh_token"] });
    expect(changed.json).not.toHaveProperty("client_secret");
    // Neither the current secret nor the one rotated out earlier is kept.
    expect(await row(web)).toMatchObject({ secret_hash: null, previous_secret_hash: null });

    // The secret authenticates nothing any more: a public client sending one is invalid_client.
    await expectOAuthError(await asClient(web, refreshing(before.refresh_token)), 401, "invalid_client");
    const posted = {
      ...refreshing(before.refresh_token),
      client_id: web.client_id,
      client_secret: web.client_secret as string,
    };
    await expectOAuthError(await tokenRequest(s.t, "acme", posted), 401, "invalid_client");
    // Without it, the refresh token is dead too: its session ended with the change (RFC 6749 §10.4).
    const bare = asClient(web, refreshing(before.refresh_token), null);
    await expectOAuthError(await bare, 400, "invalid_grant");
    expect(await s.sessionRow(sid as string)).toMatchObject({ revoked_reason: "client_type_changed" });
    await s.expectRevoked("acme", before.access_token);
    expect(await active(own.access_token)).toBe(false);

    // A code issued without PKCE while the client was confidential is not redeemable by its id alone.
    await expectOAuthError(await asClient(web, unbound, null), 400, "invalid_grant");
    // One issued with PKCE is redeemed as any public client's code is.
    const after = await tokens(await asClient(web, bound, null));
    expect(await active(after.access_token)).toBe(true);
    // Redis loses everything (codes too): the ledger (the client, public now) decides.
    await s.loseRedisData();
    expect(await active(own.access_token)).toBe(false);
    await s.expectRevoked("acme", before.access_token);

    expect(await audited("admin.clients.update", web.client_id)).toContainEqual({
      fields: ["type", "grant_types"],
      type: "public",
      grant_types: ["authorization_code", "refresh_token"],
    });
    expect(await audited("client.type_changed", web.client_id)).toEqual([{ from: "confidential", to: "public" }]);
    expect(await audited("client.sessions_revoked", web.client_id)).toEqual([
      // The session issued from the code; the client's own tokens are refused by its id, not counted.
      { count: 1, reason: "client_type_changed" },
    ]);
  });

  it("changes nothing when the type given is the current one", async () => {
    const spa = await fx.register({ type: "public" });
    const first = await tokens(await asClient(spa, await codeOf(spa)));
    const again = await patch(spa, { type: "public", name: "SPA" });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({ type: "public", name: "SPA" });
    expect(again.json).not.toHaveProperty("client_secret");
    await tokens(await asClient(spa, refreshing(first.refresh_token)));
    expect(await audited("client.type_changed", spa.client_id)).toEqual([]);
  });
});

describe("public to confidential", () => {
  it("issues a secret once, stores only its hash, and needs it from then on, for refresh tokens too", async () => {
    const spa = await fx.register({ type: "public" });
    const before = await tokens(await asClient(spa, await codeOf(spa)));

    // The new type's grants in the same change: client_credentials is fine for a confidential client.
    const grants = ["authorization_code", "refresh_token", "client_credentials"];
    const changed = await patch(spa, { type: "confidential", grant_types: grants });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.headers.get("cache-control")).toBe("no-store");
    const secret = changed.json.client_secret as string;
    expect(secret).toMatch(SECRET_SHAPE);
    expect(changed.json).toMatchObject({ type: "confidential", grant_types: grants });
    const stored = await row(spa);
    expect(stored.secret_hash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(secret);
    // Shown once: send() checks that no later answer holds it.
    expect((await send("GET", `/t/acme/v1/admin/clients/${spa.client_id}`)).json).toMatchObject({
      type: "confidential",
    });

    // The refresh token lives on, but only the client that holds the secret may use it.
    await expectOAuthError(await asClient(spa, refreshing(before.refresh_token)), 401, "invalid_client");
    const refreshed = await tokens(await asClient(spa, refreshing(before.refresh_token), secret));
    await tokens(await asClient(spa, { grant_type: "client_credentials" }, secret));

    // Again: no new secret, the one shown keeps working.
    const again = await patch(spa, { type: "confidential" });
    expect(again.status, again.text).toBe(200);
    expect(again.json).not.toHaveProperty("client_secret");
    expect((await row(spa)).secret_hash).toBe(stored.secret_hash);
    await tokens(await asClient(spa, refreshing(refreshed.refresh_token), secret));

    expect(await audited("client.type_changed", spa.client_id)).toEqual([{ from: "public", to: "confidential" }]);
    expect(await audited("client.sessions_revoked", spa.client_id)).toEqual([]);
    const entries = await send("GET", `/t/acme/v1/admin/audit-events?target_id=${spa.client_id}`);
    expect(entries.text).not.toContain(secret);
  });
});

describe("a concurrent change of type", () => {
  const clients = () => s.t.deps.db.clients;

  it("weighs the change against the type that landed first: no second secret", async () => {
    const tenant = await fx.tenantOf();
    const spa = await fx.register({ type: "public" });
    let theirs: string | null | undefined;
    // Another admin's change to confidential lands between this PATCH's read and its write.
    const update = clients().update;
    clients().update = async (...args) => {
      clients().update = update;
      theirs = (await s.t.services.clients.update(tenant, spa.client_id, { type: "confidential" }))?.secret;
      return update.apply(clients(), args);
    };
    const mine = await patch(spa, { type: "confidential", name: "Raced" });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.json).toMatchObject({ type: "confidential", name: "Raced" });
    expect(mine.json).not.toHaveProperty("client_secret");
    expect(theirs).toMatch(SECRET_SHAPE);
    expect((await row(spa)).secret_hash).toBe(createHash("sha256").update(`${theirs}`).digest("hex"));
  });

  it("answers 409 concurrent_change, changing nothing, when its guarded write keeps missing", async () => {
    const web = await fx.register({ type: "confidential" });
    const update = clients().update;
    let misses = 0;
    // The guarded write misses each time, as when other changes of type keep landing first.
    clients().update = async (...args) => {
      if (args[4] === undefined) return update.apply(clients(), args);
      misses += 1;
      return null;
    };
    try {
      const answer = await patch(web, { type: "public", name: "Never" });
      expectProblem(answer, 409, "concurrent_change");
      expect(answer.headers.get("retry-after")).toBe("1");
    } finally {
      clients().update = update;
    }
    expect(misses).toBe(3);
    expect(await row(web)).toMatchObject({ type: "confidential", name: "RP", secret_hash: expect.any(String) });
  });
});

describe("a change that lands while a code's session is being issued", () => {
  /** Runs `change` (to completion, its session sweep included) just before the redemption's session insert. */
  async function redeemingDuring(form: Record<string, string>, client: RegisteredClient, change: () => Promise<void>) {
    const sessions = s.t.deps.db.sessions;
    const create = sessions.create.bind(sessions);
    sessions.create = async (session) => {
      sessions.create = create;
      await change();
      return create(session);
    };
    try {
      return await asClient(client, form);
    } finally {
      sessions.create = create;
    }
  }
  const liveSessionsOf = async (client: RegisteredClient) =>
    (
      await s.db.query("SELECT count(*)::int AS n FROM sessions WHERE client_id = $1 AND revoked_at IS NULL", [
        client.client_id,
      ])
    ).rows[0].n as number;

  it("issues nothing once the client is deleted meanwhile", async () => {
    const client = await fx.register({ type: "public", first_party: true });
    const form = await codeOf(client);
    const answer = await redeemingDuring(form, client, async () => {
      expect((await send("DELETE", `/t/acme/v1/admin/clients/${client.client_id}`)).status).toBe(204);
    });
    await expectOAuthError(answer, 400, "invalid_grant");
    expect(await liveSessionsOf(client)).toBe(0);
  });

  it("issues nothing once a confidential client is made public meanwhile", async () => {
    const client = await fx.register({ type: "confidential", first_party: true });
    const form = await codeOf(client);
    const answer = await redeemingDuring(form, client, async () => {
      expect((await patch(client, { type: "public" })).status).toBe(200);
    });
    await expectOAuthError(answer, 400, "invalid_grant");
    expect(await liveSessionsOf(client)).toBe(0);
  });

  it("issues nothing once the user withdraws their consent meanwhile", async () => {
    const client = await fx.register({ type: "public" });
    const form = await codeOf(client);
    const answer = await redeemingDuring(form, client, async () => {
      const { user_id: userId } = (
        await s.db.query("SELECT user_id FROM consents WHERE client_id = $1", [client.client_id])
      ).rows[0];
      expect(await s.t.services.consents.revoke(await fx.tenantOf(), userId, client.client_id)).toBe(true);
    });
    await expectOAuthError(answer, 400, "invalid_grant");
    expect(await liveSessionsOf(client)).toBe(0);
  });
});

describe("a change whose session sweep fails (Redis down)", () => {
  it("deletes nothing, so the retry deletes the client and ends its sessions", async () => {
    const client = await fx.register({ type: "confidential", first_party: true });
    const issued = await tokens(await asClient(client, await codeOf(client)));
    const failed = await withFailingScript(s.t.deps.kv, "revoke_session_state", () =>
      send("DELETE", `/t/acme/v1/admin/clients/${client.client_id}`),
    );
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await row(client)).toMatchObject({ deleted_at: null });
    expect((await send("DELETE", `/t/acme/v1/admin/clients/${client.client_id}`)).status).toBe(204);
    expect(await active(issued.access_token)).toBe(false);
    await expectOAuthError(await asClient(client, refreshing(issued.refresh_token)), 401, "invalid_client");
    const live = await s.db.query(
      "SELECT count(*)::int AS n FROM sessions WHERE client_id = $1 AND revoked_at IS NULL",
      [client.client_id],
    );
    expect(live.rows[0].n).toBe(0);
  });

  it("keeps the client confidential, so the retry makes it public and ends its sessions", async () => {
    const client = await fx.register({ type: "confidential", first_party: true });
    const issued = await tokens(await asClient(client, await codeOf(client)));
    const failed = await withFailingScript(s.t.deps.kv, "revoke_session_state", () =>
      patch(client, { type: "public" }),
    );
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await row(client)).toMatchObject({ type: "confidential" });
    expect((await patch(client, { type: "public" })).status).toBe(200);
    expect(await active(issued.access_token)).toBe(false);
    await expectOAuthError(await asClient(client, refreshing(issued.refresh_token), null), 400, "invalid_grant");
  });
});

it("answers a secret rotation that a change to public overtook as a public client's (400), not 404", async () => {
  const client = await fx.register({ type: "confidential", first_party: true });
  const clients = s.t.deps.db.clients;
  const rotate = clients.rotateSecret.bind(clients);
  clients.rotateSecret = async (...args) => {
    clients.rotateSecret = rotate;
    expect((await patch(client, { type: "public" })).status).toBe(200);
    return rotate(...args);
  };
  try {
    const answer = await send("POST", `/t/acme/v1/admin/clients/${client.client_id}/rotate-secret`, {});
    expectProblem(answer, 400, "public_client");
  } finally {
    clients.rotateSecret = rotate;
  }
});
