/**
 * "Log out everywhere" also ends logins in progress: an admin's
 * revoke-sessions (or a disabled user) leaves no mfa_token, federated
 * one-time code or authorization code issued before it able to yield a
 * session after it; logins begun after it work. On real Redis and on the
 * in-memory store.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { systemClock } from "../../src/core/ports/clock.js";
import { appClient, decode, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.js";
import { basicAuth, oauthFixtures, REDIRECT_URI, type RegisteredClient, tokenRequest } from "../support/oidc.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { totpCode } from "../support/totp.js";

const APP = "https://app.example.com/callback";
const TENANT = "pending";

describe.each([
  ["Redis", () => undefined],
  ["the in-memory store", () => new MemoryKeyValueStore(systemClock)],
])("on %s", (_label, store) => {
  let t: TestApp;
  let api: ReturnType<typeof appClient>;
  let idp: FakeOidc;
  let fx: ReturnType<typeof oauthFixtures>;
  let rp: RegisteredClient;
  let n = 0;

  beforeAll(async () => {
    const kv = store();
    t = await startTestApp(kv ? { kv } : {});
    api = appClient(t);
    idp = await startFakeOidc("client-1", "secret-1");
    await api.createTenant(TENANT);
    expect((await api.redirectUris(TENANT, [APP])).status).toBe(200);
    const put = await t.app.request(`/t/${TENANT}/v1/admin/oauth-providers/idp`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
      body: JSON.stringify({ client_id: "client-1", client_secret: "secret-1", issuer: idp.issuer }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    fx = oauthFixtures(t, TENANT);
    rp = await fx.register({ type: "confidential" });
  });
  afterAll(async () => {
    await idp?.close();
    await t?.close();
  });

  const revoke = async (userId: string) => expect((await api.revokeSessions(TENANT, userId)).status).toBe(204);
  // The cutoff is a millisecond: what starts after a revocation must start in a later one.
  const nextMs = () => new Promise((resolve) => setTimeout(resolve, 5));

  it("refuses an mfa_token issued before revoke-sessions; one issued after completes", async () => {
    const email = `mfa-${n++}@example.com`;
    const user = (await (await api.signup(TENANT, email)).json()) as { access_token: string; user: { id: string } };
    const auth = { ...JSON_HEADERS, Authorization: `Bearer ${user.access_token}` };
    const enrollment = (await (await api.post(`/t/${TENANT}/v1/mfa/totp`, {}, auth)).json()) as {
      id: string;
      secret: string;
    };
    const code = await totpCode(decodeBase32IgnorePadding(enrollment.secret));
    const confirmed = await api.post(`/t/${TENANT}/v1/mfa/totp/${enrollment.id}/confirm`, { code }, auth);
    const { recovery_codes: recovery } = (await confirmed.json()) as { recovery_codes: string[] };
    const mfaToken = async () => ((await (await api.login(TENANT, email)).json()) as { mfa_token: string }).mfa_token;
    const verify = (token: string, recoveryCode: string) =>
      api.post(`/t/${TENANT}/v1/mfa/verify`, { mfa_token: token, type: "recovery_code", code: recoveryCode });

    const before = await mfaToken();
    await revoke(user.user.id);
    expectProblem(await readAnswer(await verify(before, recovery[0] ?? "")), 401, "invalid_mfa_token");
    await nextMs();
    const after = await verify(await mfaToken(), recovery[1] ?? "");
    expect(after.status, await after.clone().text()).toBe(200);
  });

  /** authorize -> provider -> callback: the one-time code sent to the app for `sub`. */
  async function federatedCode(sub: string): Promise<string> {
    idp.state.nextUser = { sub, email: `${sub}@idp.example`, email_verified: true };
    const start = await t.app.request(
      `/t/${TENANT}/v1/oauth/idp/authorize?${new URLSearchParams({ redirect_uri: APP })}`,
    );
    const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const callback = new URL(atProvider.headers.get("location") ?? "");
    const back = await t.app.request(callback.pathname + callback.search);
    return new URL(back.headers.get("location") ?? "").searchParams.get("code") ?? "";
  }
  const exchange = (code: string) => api.post(`/t/${TENANT}/v1/token/exchange`, { code });

  it("refuses a federated one-time code issued before revoke-sessions; one issued after exchanges", async () => {
    const sub = `fed-${n++}`;
    const first = await exchange(await federatedCode(sub));
    expect(first.status, await first.clone().text()).toBe(200);
    const user = { id: decode(((await first.json()) as { access_token: string }).access_token).claims.sub as string };
    const before = await federatedCode(sub);
    await revoke(user.id);
    expectProblem(await readAnswer(await exchange(before)), 400, "invalid_grant");
    await nextMs();
    expect((await exchange(await federatedCode(sub))).status).toBe(200);
  });

  it("refuses a federated one-time code issued before the user was disabled and enabled again", async () => {
    const sub = `fed-${n++}`;
    const first = await exchange(await federatedCode(sub));
    const user = { id: decode(((await first.json()) as { access_token: string }).access_token).claims.sub as string };
    const before = await federatedCode(sub);
    const patch = (disabled: boolean) =>
      t.app.request(`/t/${TENANT}/v1/admin/users/${user.id}`, {
        method: "PATCH",
        headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
        body: JSON.stringify({ disabled }),
      });
    expect((await patch(true)).status).toBe(200);
    expect((await patch(false)).status).toBe(200);
    expectProblem(await readAnswer(await exchange(before)), 400, "invalid_grant");
  });

  it("refuses an authorization code issued before revoke-sessions (its provider session ended)", async () => {
    const login = await fx.login();
    const { code, verifier } = await fx.code({ clientId: rp.client_id, ...login });
    await revoke(login.userId);
    const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const answer = await tokenRequest(t, TENANT, form, { Authorization: basicAuth(rp) });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toBe("invalid_grant");
  });

  // Last: it ends every login in progress of the tenant.
  it("refuses a federated code issued before the tenant's revoke-all-sessions, which ends every user's logins in progress", async () => {
    const sub = `fed-${n++}`;
    expect((await exchange(await federatedCode(sub))).status).toBe(200);
    const before = await federatedCode(sub);
    const tenant = await fx.tenantOf();
    await t.services.sessions.revokeAllOfTenant(tenant);
    expectProblem(await readAnswer(await exchange(before)), 400, "invalid_grant");
    await nextMs();
    expect((await exchange(await federatedCode(sub))).status).toBe(200);
  });
});
