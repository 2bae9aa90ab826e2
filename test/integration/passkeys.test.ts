/**
 * Passkeys through the whole app on real Postgres and Redis, with a software
 * authenticator: registration, listing, renaming, removal, passwordless login
 * (hwk/swk amr), and the attacks: foreign, expired or reused challenges,
 * another user's credential, a counter that went back, wrong origin or RP ID.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogFields } from "../../src/core/ports/logger.js";
import { appClient, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

const events: { event: string; fields?: LogFields }[] = [];
const keep = (event: string, fields?: LogFields) => events.push({ event, ...(fields ? { fields } : {}) });
const ORIGIN = TEST_PUBLIC_URL;
const RP_ID = new URL(TEST_PUBLIC_URL).hostname;
let t: TestApp;
let api: ReturnType<typeof appClient>;

const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });
const post = (path: string, body?: unknown, headers: Record<string, string> = JSON_HEADERS) =>
  t.app.request(path, { method: "POST", headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function signup(tenant: string, email: string): Promise<TokenBody & { user: { id: string } }> {
  const response = await api.signup(tenant, email);
  expect(response.status).toBe(201);
  return (await response.json()) as TokenBody & { user: { id: string } };
}

interface CreationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string };
  attestation: string;
  excludeCredentials: { id: string }[];
  authenticatorSelection: Record<string, string>;
  timeout: number;
}

async function registrationOptions(token: string, tenant = "pk"): Promise<CreationOptions> {
  const response = await post(`/t/${tenant}/v1/mfa/passkeys/registration/options`, undefined, bearer(token));
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as CreationOptions;
}

async function register(token: string, authenticator: SoftAuthenticator, tenant = "pk", name?: string) {
  const options = await registrationOptions(token, tenant);
  const response = await post(
    `/t/${tenant}/v1/mfa/passkeys/registration`,
    { response: await authenticator.register(options, { origin: ORIGIN }), ...(name ? { name } : {}) },
    bearer(token),
  );
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as {
    id: string;
    name: string | null;
    device_type: string;
    backed_up: boolean;
    recovery_codes?: string[];
  };
}

async function authenticationOptions(tenant = "pk") {
  const response = await post(`/t/${tenant}/v1/passkeys/authentication/options`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { challenge_id: string; options: { challenge: string; rpId: string } };
}

const login = (challengeId: string, response: unknown, tenant = "pk") =>
  post(`/t/${tenant}/v1/passkeys/authentication`, { challenge_id: challengeId, response });

async function loginWith(authenticator: SoftAuthenticator, tenant = "pk") {
  const { challenge_id, options } = await authenticationOptions(tenant);
  return login(challenge_id, await authenticator.assert(options, { origin: ORIGIN }), tenant);
}

/** An access token from a passwordless login with the passkey just now: adding another factor needs one (step-up). */
async function steppedUp(authenticator: SoftAuthenticator, tenant = "pk"): Promise<string> {
  const response = await loginWith(authenticator, tenant);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as TokenBody).access_token;
}

beforeAll(async () => {
  t = await startTestApp({ logger: { info: keep, warn: keep, error: keep } });
  api = appClient(t);
  await api.createTenant("pk");
  await api.createTenant("other");
});
afterAll(async () => {
  await t.close();
});

describe("Passkey registration and management", () => {
  it("offers creation options for the caller: RP of PUBLIC_URL, tenant name, no attestation, existing excluded", async () => {
    const alice = await signup("pk", "alice@example.com");
    const options = await registrationOptions(alice.access_token);
    expect(options).toMatchObject({
      rp: { id: RP_ID, name: "pk" },
      user: { id: Buffer.from(alice.user.id).toString("base64url"), name: "alice@example.com" },
      attestation: "none",
      excludeCredentials: [],
      timeout: 300_000,
      authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    });
    expect(Buffer.from(options.challenge, "base64url")).toHaveLength(32);

    const authenticator = await SoftAuthenticator.create();
    const created = await register(alice.access_token, authenticator, "pk", "Laptop");
    expect(created).toMatchObject({ name: "Laptop", device_type: "singleDevice", backed_up: false });
    // With a factor now, the signup's token may add no other: a stolen session must not (step-up).
    const stale = await post("/t/pk/v1/mfa/passkeys/registration/options", undefined, bearer(alice.access_token));
    expectProblem(await readAnswer(stale), 403, "step_up_required");
    expect((await registrationOptions(await steppedUp(authenticator))).excludeCredentials).toEqual([
      { id: authenticator.credentialId, type: "public-key", transports: ["internal"] },
    ]);
    expect(events.some((e) => e.event === "passkey_registered" && e.fields?.passkey_id === created.id)).toBe(true);
  });

  it("lists, renames and removes the caller's passkeys; another user sees none of them", async () => {
    const bob = await signup("pk", "bob@example.com");
    const carol = await signup("pk", "carol@example.com");
    const bobsKey = await SoftAuthenticator.create({ synced: true });
    const created = await register(bob.access_token, bobsKey);
    const list = async (token: string) =>
      (
        (await (await t.app.request("/t/pk/v1/mfa/passkeys", { headers: bearer(token) })).json()) as {
          passkeys: { id: string; name: string | null }[];
        }
      ).passkeys;
    expect(await list(bob.access_token)).toMatchObject([{ id: created.id, name: null, device_type: "multiDevice" }]);
    expect(await list(carol.access_token)).toEqual([]);

    const rename = (token: string, name: unknown, id = created.id) =>
      t.app.request(`/t/pk/v1/mfa/passkeys/${id}`, {
        method: "PATCH",
        headers: bearer(token),
        body: JSON.stringify({ name }),
      });
    expectProblem(await readAnswer(await rename(carol.access_token, "mine")), 404, "not_found");
    expectProblem(await readAnswer(await rename(bob.access_token, "")), 400, "validation_failed");
    expectProblem(await readAnswer(await rename(bob.access_token, "x", "not-a-uuid")), 404, "not_found");
    expect(await (await rename(bob.access_token, "Phone")).json()).toMatchObject({ id: created.id, name: "Phone" });

    const remove = (token: string) =>
      t.app.request(`/t/pk/v1/mfa/passkeys/${created.id}`, { method: "DELETE", headers: bearer(token) });
    expect((await remove(carol.access_token)).status).toBe(404);
    // Removing a factor is a step-up action: the password session alone is not enough.
    expectProblem(await readAnswer(await remove(bob.access_token)), 403, "step_up_required");
    const fresh = (await (await loginWith(bobsKey)).json()) as TokenBody;
    expect((await remove(fresh.access_token)).status).toBe(204);
    expect((await remove(fresh.access_token)).status).toBe(404);
    expect(await list(bob.access_token)).toEqual([]);
    // The last factor took the first passkey's recovery codes; the next passkey brings new ones.
    const factors = await t.app.request("/t/pk/v1/mfa/factors", { headers: bearer(fresh.access_token) });
    expect(await factors.json()).toEqual({ factors: [], recovery_codes_left: 0 });
    expect(created.recovery_codes).toHaveLength(10);
    expect((await register(fresh.access_token, await SoftAuthenticator.create())).recovery_codes).toHaveLength(10);
  });

  it("refuses a registration with another challenge, another user's challenge, a reused one, or the wrong origin or RP ID", async () => {
    const dave = await signup("pk", "dave@example.com");
    const erin = await signup("pk", "erin@example.com");
    const attempt = async (token: string, response: unknown) =>
      readAnswer(await post("/t/pk/v1/mfa/passkeys/registration", { response }, bearer(token)));
    const authenticator = await SoftAuthenticator.create();

    const forged = await registrationOptions(dave.access_token);
    const made = await authenticator.register(forged, {
      origin: ORIGIN,
      challenge: Buffer.alloc(32, 7).toString("base64url"),
    });
    expectProblem(await attempt(dave.access_token, made), 400, "invalid_passkey");

    const daves = await registrationOptions(dave.access_token);
    expectProblem(
      await attempt(erin.access_token, await authenticator.register(daves, { origin: ORIGIN })),
      400,
      "invalid_passkey",
    );

    const wrongOrigin = await registrationOptions(dave.access_token);
    expectProblem(
      await attempt(dave.access_token, await authenticator.register(wrongOrigin, { origin: "https://evil.example" })),
      400,
      "invalid_passkey",
    );
    const wrongRp = await registrationOptions(dave.access_token);
    expectProblem(
      await attempt(dave.access_token, await authenticator.register(wrongRp, { origin: ORIGIN, rpId: "evil.example" })),
      400,
      "invalid_passkey",
    );

    const good = await registrationOptions(dave.access_token);
    const response = await authenticator.register(good, { origin: ORIGIN });
    expect((await post("/t/pk/v1/mfa/passkeys/registration", { response }, bearer(dave.access_token))).status).toBe(
      201,
    );
    expectProblem(await attempt(await steppedUp(authenticator), response), 400, "invalid_passkey");
  });
});

describe("Passwordless login with a passkey", () => {
  it("logs in with a device-bound passkey (amr hwk, mfa) and a synced one (swk); counters and last use are kept", async () => {
    const frank = await signup("pk", "frank@example.com");
    const bound = await SoftAuthenticator.create();
    const synced = await SoftAuthenticator.create({ synced: true, userVerified: false });
    await register(frank.access_token, bound);
    const syncedRow = await register(await steppedUp(bound), synced);

    const first = await loginWith(bound);
    expect(first.status, await first.clone().text()).toBe(200);
    const tokens = (await first.json()) as TokenBody;
    expect(decode(tokens.access_token).claims).toMatchObject({ sub: frank.user.id, amr: ["hwk", "mfa"] });
    expect(first.headers.get("ratelimit-policy")).toBeTruthy();
    const second = await loginWith(synced);
    expect(decode(((await second.json()) as TokenBody).access_token).claims.amr).toEqual(["swk"]);
    expect(events.some((e) => e.event === "login_succeeded" && e.fields?.method === "passkey")).toBe(true);

    const stored = await t.deps.db.passkeys.findByCredentialId(
      (await t.deps.db.tenants.findBySlug("pk"))?.id ?? "",
      synced.credentialId,
    );
    expect(stored).toMatchObject({ id: syncedRow.id, counter: 1, backedUp: true });
    expect(stored?.lastUsedAt).toBeInstanceOf(Date);
  });

  it("refuses an unknown challenge id, a reused challenge and an expired one", async () => {
    const gina = await signup("pk", "gina@example.com");
    const authenticator = await SoftAuthenticator.create();
    await register(gina.access_token, authenticator);

    const { challenge_id, options } = await authenticationOptions();
    const assertion = await authenticator.assert(options, { origin: ORIGIN });
    expectProblem(await readAnswer(await login("unknown", assertion)), 401, "passkey_refused");
    expect((await login(challenge_id, assertion)).status).toBe(200);
    expectProblem(await readAnswer(await login(challenge_id, assertion)), 401, "passkey_refused");

    const later = await authenticationOptions();
    const tenantId = (await t.deps.db.tenants.findBySlug("pk"))?.id ?? "";
    const key = `mfa:pk:${tenantId}:auth:${later.challenge_id}`;
    const ttl = (await t.deps.kv.ttl(key)) ?? 0;
    expect(ttl).toBeGreaterThan(299_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    // Let the challenge run out in Redis itself.
    await t.deps.kv.set(key, (await t.deps.kv.get(key)) ?? "", { ttlMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await authenticator.assert(later.options, { origin: ORIGIN });
    expectProblem(await readAnswer(await login(later.challenge_id, late)), 401, "passkey_refused");
  });

  it("refuses an assertion signed over another challenge, the wrong origin or the wrong RP ID", async () => {
    const hank = await signup("pk", "hank@example.com");
    const authenticator = await SoftAuthenticator.create();
    await register(hank.access_token, authenticator);
    const cases = [
      { challenge: Buffer.alloc(32, 1).toString("base64url") },
      { origin: "https://evil.example" },
      { rpId: "evil.example" },
    ];
    for (const ceremony of cases) {
      const { challenge_id, options } = await authenticationOptions();
      const assertion = await authenticator.assert(options, { origin: ORIGIN, ...ceremony });
      expectProblem(await readAnswer(await login(challenge_id, assertion)), 401, "passkey_refused");
    }
    expect((await loginWith(authenticator)).status).toBe(200);
  });

  it("refuses another user's credential for a user's challenge and a credential of another tenant", async () => {
    const ivy = await signup("pk", "ivy@example.com");
    const jack = await signup("pk", "jack@example.com");
    const ivys = await SoftAuthenticator.create();
    const jacks = await SoftAuthenticator.create();
    await register(ivy.access_token, ivys);
    await register(jack.access_token, jacks);
    const tenant = await t.deps.db.tenants.findBySlug("pk");
    if (!tenant) throw new Error("no tenant");
    const { challengeId, options } = await t.services.passkeys.startAuthentication(tenant, ivy.user.id);
    expect(options.allowCredentials).toEqual([{ id: ivys.credentialId, type: "public-key", transports: ["internal"] }]);
    await expect(
      t.services.passkeys.finishAuthentication(
        tenant,
        challengeId,
        await jacks.assert(options, { origin: ORIGIN }),
        ivy.user.id,
      ),
    ).rejects.toMatchObject({ status: 401, code: "passkey_refused" });
    expect(events.some((e) => e.fields?.reason === "credential_of_another_user")).toBe(true);

    // The "other" tenant does not know pk's credentials.
    expectProblem(await readAnswer(await loginWith(ivys, "other")), 401, "passkey_refused");
  });

  it("refuses a passwordless assertion without the owner's user handle (WebAuthn §7.2 step 6)", async () => {
    const kim = await signup("pk", "kim@example.com");
    const kims = await SoftAuthenticator.create();
    await register(kim.access_token, kims);
    const other = await signup("pk", "lou@example.com");
    for (const handle of [undefined, "", "AAAAA", Buffer.from(other.user.id).toString("base64url")]) {
      const { challenge_id, options } = await authenticationOptions();
      const assertion = await kims.assert(options, { origin: ORIGIN });
      const { userHandle: _, ...rest } = assertion.response;
      const response = { ...assertion, response: handle === undefined ? rest : { ...rest, userHandle: handle } };
      expectProblem(await readAnswer(await login(challenge_id, response)), 401, "passkey_refused");
    }
    expect(events.some((e) => e.fields?.reason === "user_handle_mismatch")).toBe(true);
    expect((await loginWith(kims)).status).toBe(200);
  });

  it("answers a registration that does not verify without the library's words, which go to the log", async () => {
    const max = await signup("pk", "max@example.com");
    const options = await registrationOptions(max.access_token);
    const made = await (await SoftAuthenticator.create()).register(options, { origin: ORIGIN });
    const broken = { ...made, response: { ...made.response, attestationObject: "oWNmbXRkbm9uZQ" } };
    const answer = await readAnswer(
      await post("/t/pk/v1/mfa/passkeys/registration", { response: broken }, bearer(max.access_token)),
    );
    expectProblem(answer, 400, "invalid_passkey");
    expect(answer.json.detail).toBe("The registration did not verify.");
    expect(events.some((e) => e.event === "passkey_registration_failed" && e.fields?.user_id === max.user.id)).toBe(
      true,
    );
  });

  it("refuses a signature counter that went back (a cloned authenticator) and logs it", async () => {
    const kate = await signup("pk", "kate@example.com");
    const authenticator = await SoftAuthenticator.create();
    const created = await register(kate.access_token, authenticator);
    expect((await loginWith(authenticator)).status).toBe(200);
    expect((await loginWith(authenticator)).status).toBe(200);
    authenticator.counter = 1; // the clone signs with 2 again
    expectProblem(await readAnswer(await loginWith(authenticator)), 401, "passkey_refused");
    expect(
      events.find((e) => e.event === "passkey_counter_regression" && e.fields?.passkey_id === created.id)?.fields,
    ).toMatchObject({ stored_counter: 2, presented_counter: 2 });
    await t.services.background.drain();
    const tenant = await t.deps.db.tenants.findBySlug("pk");
    const audit = await t.deps.db.auditEvents.list(
      tenant?.id ?? "",
      { action: "mfa.passkey_counter_regression", targetId: kate.user.id },
      null,
      10,
    );
    expect(audit).toHaveLength(1);
  });

  it("accepts an authenticator that keeps no counter (always 0)", async () => {
    const leo = await signup("pk", "leo@example.com");
    const authenticator = await SoftAuthenticator.create({ counts: false });
    await register(leo.access_token, authenticator);
    expect((await loginWith(authenticator)).status).toBe(200);
    expect((await loginWith(authenticator)).status).toBe(200);
  });

  it("uses the tenant's passkey RP ID (a parent domain of PUBLIC_URL's host, set by an admin) throughout", async () => {
    await api.createTenant("rp");
    const put = (rp_id: unknown) =>
      t.app.request("/t/rp/v1/admin/passkey-settings", {
        method: "PUT",
        headers: bearer(TEST_ADMIN_KEY),
        body: JSON.stringify({ rp_id }),
      });
    for (const refused of ["evil.example", "example", "sub.auth.test.example", "st.example"]) {
      expectProblem(await readAnswer(await put(refused)), 400, "validation_failed");
    }
    expect(await (await put("Test.Example")).json()).toEqual({ rp_id: "test.example", origin: ORIGIN });
    const settings = await t.app.request("/t/rp/v1/admin/passkey-settings", { headers: bearer(TEST_ADMIN_KEY) });
    expect(await settings.json()).toEqual({ rp_id: "test.example", origin: ORIGIN });

    const nina = await signup("rp", "nina@example.com");
    expect((await registrationOptions(nina.access_token, "rp")).rp.id).toBe("test.example");
    const authenticator = await SoftAuthenticator.create();
    await register(nina.access_token, authenticator, "rp");
    const { challenge_id, options } = await authenticationOptions("rp");
    expect(options.rpId).toBe("test.example");
    const wrong = await authenticator.assert(options, { origin: ORIGIN, rpId: RP_ID });
    expectProblem(await readAnswer(await login(challenge_id, wrong, "rp")), 401, "passkey_refused");
    expect((await loginWith(authenticator, "rp")).status).toBe(200);

    expect(await (await put(null)).json()).toEqual({ rp_id: RP_ID, origin: ORIGIN });
    // Signed for the RP ID it was registered under, the passkey no longer verifies.
    expectProblem(await readAnswer(await loginWith(authenticator, "rp")), 401, "passkey_refused");
  });

  it("refuses a disabled user", async () => {
    const mia = await signup("pk", "mia@example.com");
    const authenticator = await SoftAuthenticator.create();
    await register(mia.access_token, authenticator);
    const tenant = await t.deps.db.tenants.findBySlug("pk");
    await t.deps.db.users.update(tenant?.id ?? "", mia.user.id, { disabled: true }, new Date());
    expectProblem(await readAnswer(await loginWith(authenticator)), 403, "account_disabled");
  });
});

describe("A passkey as the second factor of a password login", () => {
  const passwordLogin = async (address: string) => {
    const response = await api.login("pk", address);
    expect(response.status).toBe(200);
    return (await response.json()) as { mfa_required?: true; mfa_token: string; factors: string[] };
  };
  const mfaOptions = async (mfaToken: string) => {
    const response = await post("/t/pk/v1/mfa/passkeys/authentication/options", { mfa_token: mfaToken });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as {
      challenge_id: string;
      options: { challenge: string; rpId: string; allowCredentials: { id: string }[] };
    };
  };
  const verify = (body: Record<string, unknown>) => post("/t/pk/v1/mfa/verify", body);
  /** The second step answered with `holder`'s assertion of a ceremony's options. */
  const verifyPasskey = async (
    mfaToken: string,
    ceremony: { challenge_id: string; options: { challenge: string; rpId: string } },
    holder: SoftAuthenticator,
  ) =>
    verify({
      mfa_token: mfaToken,
      type: "passkey",
      challenge_id: ceremony.challenge_id,
      response: await holder.assert(ceremony.options, { origin: ORIGIN }),
    });

  it("lists the passkey as a factor, challenges the password login, and finishes it with the passkey", async () => {
    const olga = await signup("pk", "olga@example.com");
    const key = await SoftAuthenticator.create();
    const created = await register(olga.access_token, key);
    // The first factor brings the first recovery codes; a second passkey does not.
    expect(created.recovery_codes).toHaveLength(10);
    const second = await register(await steppedUp(key), await SoftAuthenticator.create());
    expect(second.recovery_codes).toBeUndefined();
    const tenant = await t.deps.db.tenants.findBySlug("pk");
    if (!tenant) throw new Error("no tenant");
    await t.services.passkeys.remove(tenant, olga.user.id, second.id);
    const factors = await t.app.request("/t/pk/v1/mfa/factors", { headers: bearer(olga.access_token) });
    expect(((await factors.json()) as { factors: unknown[] }).factors).toMatchObject([
      { id: created.id, kind: "passkey" },
    ]);

    const challenge = await passwordLogin("olga@example.com");
    expect(challenge).toMatchObject({ mfa_required: true, factors: ["passkey", "recovery_code"] });
    const started = await mfaOptions(challenge.mfa_token);
    expect(started.options.allowCredentials.map((c) => c.id)).toEqual([key.credentialId]);
    expectProblem(
      await readAnswer(await verify({ mfa_token: challenge.mfa_token, type: "passkey" })),
      400,
      "validation_failed",
    );
    const response = await verifyPasskey(challenge.mfa_token, started, key);
    expect(response.status, await response.clone().text()).toBe(200);
    const tokens = (await response.json()) as TokenBody;
    expect(decode(tokens.access_token).claims).toMatchObject({ sub: olga.user.id, amr: ["pwd", "hwk", "mfa"] });
    // The challenge is spent.
    expectProblem(
      await readAnswer(await post("/t/pk/v1/mfa/passkeys/authentication/options", { mfa_token: challenge.mfa_token })),
      401,
      "invalid_mfa_token",
    );

    // The factor routes remove a passkey too (step-up: this login just used it).
    const removed = await t.app.request(`/t/pk/v1/mfa/factors/${created.id}`, {
      method: "DELETE",
      headers: bearer(tokens.access_token),
    });
    expect(removed.status, await removed.clone().text()).toBe(204);
    expectProblem(await readAnswer(await loginWith(key)), 401, "passkey_refused");
  });

  it("refuses another user's passkey for the challenge and keeps the challenge for the right one", async () => {
    const pia = await signup("pk", "pia@example.com");
    const quinn = await signup("pk", "quinn@example.com");
    const pias = await SoftAuthenticator.create();
    const quinns = await SoftAuthenticator.create();
    await register(pia.access_token, pias);
    await register(quinn.access_token, quinns);
    const challenge = await passwordLogin("pia@example.com");

    const started = await mfaOptions(challenge.mfa_token);
    const foreign = await verifyPasskey(challenge.mfa_token, started, quinns);
    expectProblem(await readAnswer(foreign), 401, "passkey_refused");

    // Options of a passwordless login are not bound to the challenge's user: Quinn's assertion is refused,
    // and so is Pia's own: each assertion answers the ceremony its options were made for.
    for (const holder of [quinns, pias]) {
      const passwordless = await authenticationOptions();
      const answer = await verifyPasskey(challenge.mfa_token, passwordless, holder);
      expectProblem(await readAnswer(answer), 401, "passkey_refused");
    }
    expect(events.some((e) => e.fields?.reason === "challenge_of_another_ceremony")).toBe(true);
    // And the second step's options do not sign anyone in without a password.
    const bound = await mfaOptions(challenge.mfa_token);
    const skipped = await login(bound.challenge_id, await pias.assert(bound.options, { origin: ORIGIN }));
    expectProblem(await readAnswer(skipped), 401, "passkey_refused");

    const again = await mfaOptions(challenge.mfa_token);
    const ok = await verifyPasskey(challenge.mfa_token, again, pias);
    expect(ok.status, await ok.clone().text()).toBe(200);
  });

  it("lets an admin reset remove the user's passkeys", async () => {
    const rae = await signup("pk", "rae@example.com");
    const key = await SoftAuthenticator.create();
    await register(rae.access_token, key);
    const reset = await post(`/t/pk/v1/admin/users/${rae.user.id}/mfa/reset`, undefined, bearer(TEST_ADMIN_KEY));
    expect(reset.status, await reset.clone().text()).toBe(204);
    expectProblem(await readAnswer(await loginWith(key)), 401, "passkey_refused");
    expect((await passwordLogin("rae@example.com")).mfa_required).toBeUndefined();
  });
});
