/**
 * Federated login through the whole app (real Postgres and Redis) against a
 * local OpenID Connect provider that can be told to misbehave.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { recordingLogger } from "../support/recorders.js";
import { REDIRECT_VARIANTS } from "../support/redirect-variants.js";
import { redisClient, scanKeys } from "../support/redis.js";

const APP = "https://app.example.com/callback";
let t: TestApp;
let api: ReturnType<typeof appClient>;
let idp: FakeOidc;
const logs = recordingLogger();
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };

beforeAll(async () => {
  t = await startTestApp({ logger: logs.logger });
  api = appClient(t);
  idp = await startFakeOidc("client-1", "secret-1");
  await api.createTenant("fed");
  await api.createTenant("elsewhere");
  expect((await api.redirectUris("fed", [APP, "com.example.app:/cb"])).status).toBe(200);
  const put = await t.app.request("/t/fed/v1/admin/oauth-providers/idp", {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ client_id: "client-1", client_secret: "secret-1", issuer: idp.issuer }),
  });
  expect(put.status, await put.clone().text()).toBe(200);
});
afterAll(async () => {
  await idp.close();
  await t.close();
});

const pkce = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};

/** authorize -> provider -> callback; resolves where the callback sends the browser. */
async function login(params: Record<string, string> = {}, tenant = "fed"): Promise<URL> {
  const query = new URLSearchParams({ redirect_uri: APP, state: "client-state", ...params });
  const start = await t.app.request(`/t/${tenant}/v1/oauth/idp/authorize?${query}`);
  expect(start.status, await start.clone().text()).toBe(302);
  const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const callback = new URL(atProvider.headers.get("location") ?? "");
  expect(callback.origin + callback.pathname).toBe(`${TEST_PUBLIC_URL}/t/${tenant}/v1/oauth/idp/callback`);
  const back = await t.app.request(callback.pathname + callback.search);
  expect(back.status).toBe(302);
  return new URL(back.headers.get("location") ?? "");
}

const exchange = (body: Record<string, unknown>, tenant = "fed") =>
  t.app.request(`/t/${tenant}/v1/token/exchange`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });

describe("federated login", () => {
  it("goes authorize -> provider -> callback -> one-time code -> tokens -> /me", async () => {
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "u-1", email: "Ursula@IdP.example", email_verified: true, name: "Ursula" };
    const back = await login();
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("state")).toBe("client-state");
    expect(back.searchParams.get("error_description")).toBeNull();
    const code = back.searchParams.get("code") ?? "";
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const answer = await exchange({ code });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const tokens = (await answer.json()) as TokenBody;
    expect(decode(tokens.access_token).claims).toMatchObject({ amr: ["oauth"] });
    const me = (await (await api.me("fed", tokens.access_token)).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ email: "Ursula@idp.example", name: "Ursula", email_verified: true });
    const sessions = (await (await api.sessions("fed", tokens.access_token)).json()) as { sessions: unknown[] };
    expect(sessions.sessions).toMatchObject([{ auth_method: "oauth:idp", current: true }]);

    // The same upstream subject again is the same user.
    const again = (await (await exchange({ code: (await login()).searchParams.get("code") })).json()) as TokenBody;
    expect(decode(again.access_token).claims.sub).toBe(decode(tokens.access_token).claims.sub);
  });

  it("links to an existing account only when its email is verified here and the provider asserts it verified", async () => {
    const signup = await api.signup("fed", "pat@idp.example");
    expect(signup.status).toBe(201);
    const patId = ((await signup.json()) as { user: { id: string } }).user.id;
    const refusedWith = async (user: typeof idp.state.nextUser) => {
      idp.state.nextUser = user;
      const back = await login();
      expect(back.searchParams.get("error")).toBe("access_denied");
      expect(back.searchParams.get("code")).toBeNull();
    };
    // A password sign-up is not verified: neither provider answer joins it.
    await refusedWith({ sub: "pat-unverified", email: "pat@idp.example", email_verified: false });
    await refusedWith({ sub: "pat-verified", email: "PAT@idp.example", email_verified: true });
    const sql = new pg.Client({ connectionString: t.database.url });
    await sql.connect();
    await sql.query("UPDATE users SET email_verified = true WHERE id = $1", [patId]);
    await sql.end();
    await refusedWith({ sub: "pat-unverified", email: "pat@idp.example", email_verified: false });
    idp.state.nextUser = { sub: "pat-verified", email: "PAT@idp.example", email_verified: true };
    const linked = (await (await exchange({ code: (await login()).searchParams.get("code") })).json()) as TokenBody;
    expect(decode(linked.access_token).claims.sub).toBe(patId);
  });

  it("falls back to UserInfo when the ID token has no email", async () => {
    idp.state.nextUser = { sub: "quiet" };
    const tokens = (await (await exchange({ code: (await login()).searchParams.get("code") })).json()) as TokenBody;
    const me = (await (await api.me("fed", tokens.access_token)).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ email: "quiet@userinfo.example", email_verified: false });
  });

  it("checks the client's PKCE verifier at the exchange (S256 only)", async () => {
    idp.state.nextUser = { sub: "pkce", email: "pkce@idp.example", email_verified: true };
    const { verifier, challenge } = pkce();
    const withChallenge = { code_challenge: challenge, code_challenge_method: "S256" };
    const code = (await login(withChallenge)).searchParams.get("code");
    expectProblem(await readAnswer(await exchange({ code })), 400, "invalid_grant");
    const wrong = (await login(withChallenge)).searchParams.get("code");
    expectProblem(
      await readAnswer(await exchange({ code: wrong, code_verifier: pkce().verifier })),
      400,
      "invalid_grant",
    );
    const right = (await login(withChallenge)).searchParams.get("code");
    expect((await exchange({ code: right, code_verifier: verifier })).status).toBe(200);
    const plain = await t.app.request(
      `/t/fed/v1/oauth/idp/authorize?${new URLSearchParams({ redirect_uri: APP, state: "s", code_challenge: verifier, code_challenge_method: "plain" })}`,
    );
    const location = new URL(plain.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe(APP);
    expect(location.searchParams.get("error")).toBe("invalid_request");
  });

  it("redeems a one-time code once, in its own tenant only", async () => {
    idp.state.nextUser = { sub: "once", email: "once@idp.example", email_verified: true };
    const code = (await login()).searchParams.get("code");
    // Presented at another tenant it fails and is not consumed: it still works at its own.
    expectProblem(await readAnswer(await exchange({ code }, "elsewhere")), 400, "invalid_grant");
    expect((await exchange({ code })).status).toBe(200);
    expectProblem(await readAnswer(await exchange({ code })), 400, "invalid_grant");
    expectProblem(await readAnswer(await exchange({ code: "made-up" })), 400, "invalid_grant");
  });
});

describe("attacks on the callback", () => {
  it("refuses a tampered, replayed or missing state without redirecting", async () => {
    idp.state.misbehave = "none";
    const query = new URLSearchParams({ redirect_uri: APP, state: "s" });
    const start = await t.app.request(`/t/fed/v1/oauth/idp/authorize?${query}`);
    const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const callback = new URL(atProvider.headers.get("location") ?? "");
    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${callback.searchParams.get("state")}x`);
    for (const url of [tampered, new URL(`${callback.origin}${callback.pathname}?code=abc`)]) {
      const answer = await readAnswer(await t.app.request(url.pathname + url.search));
      expectProblem(answer, 400, "invalid_state");
      expect(answer.headers.get("location")).toBeNull();
    }
    expect((await t.app.request(callback.pathname + callback.search)).status).toBe(302);
    expectProblem(await readAnswer(await t.app.request(callback.pathname + callback.search)), 400, "invalid_state");
    // A state of one tenant does not work at another's callback.
    const foreign = `/t/elsewhere/v1/oauth/idp/callback${callback.search}`;
    expectProblem(await readAnswer(await t.app.request(foreign)), 400, "invalid_state");
  });

  it("lets a callback at another tenant or provider spend nothing: the right callback still succeeds", async () => {
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "victim", email: "victim@idp.example", email_verified: true };
    const query = new URLSearchParams({ redirect_uri: APP, state: "victim-state" });
    const start = await t.app.request(`/t/fed/v1/oauth/idp/authorize?${query}`);
    const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const callback = new URL(atProvider.headers.get("location") ?? "");
    for (const elsewhere of ["/t/elsewhere/v1/oauth/idp/callback", "/t/fed/v1/oauth/other/callback"]) {
      expectProblem(await readAnswer(await t.app.request(`${elsewhere}${callback.search}`)), 400, "invalid_state");
    }
    const back = new URL((await t.app.request(callback.pathname + callback.search)).headers.get("location") ?? "");
    expect(back.searchParams.get("error_description")).toBeNull();
    expect(back.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("keeps a login in progress sealed at rest, each under its own state key", async () => {
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "sealed", email: "sealed@idp.example", email_verified: true };
    const redis = redisClient(t.redis) as Redis;
    try {
      const started = async () => {
        const query = new URLSearchParams({ redirect_uri: APP, state: "sealed-state" });
        const start = await t.app.request(`/t/fed/v1/oauth/idp/authorize?${query}`);
        const location = new URL(start.headers.get("location") ?? "");
        const keys = await scanKeys(redis, `${t.prefix}oauth-state:`);
        const key = keys.find((k) => k.endsWith(`:${location.searchParams.get("state")}`)) ?? "";
        return { location, key, stored: (await redis.get(key)) ?? "" };
      };
      const first = await started();
      const second = await started();
      // Neither the PKCE verifier (its challenge went to the provider), the nonce nor the return target in clear.
      expect(first.stored).toMatch(/^s1\./);
      expect(first.stored).not.toContain(first.location.searchParams.get("nonce") ?? "-");
      expect(first.stored).not.toContain("app.example.com");
      expect(first.stored).not.toContain("codeVerifier");
      // One login's sealed state moved under another's key does not open there.
      await redis.set(second.key, first.stored, "PX", 60_000);
      const atProvider = await fetch(second.location, { redirect: "manual" });
      const callback = new URL(atProvider.headers.get("location") ?? "");
      expectProblem(await readAnswer(await t.app.request(callback.pathname + callback.search)), 400, "invalid_state");
      // The first still completes.
      const own = new URL((await fetch(first.location, { redirect: "manual" })).headers.get("location") ?? "");
      const back = new URL((await t.app.request(own.pathname + own.search)).headers.get("location") ?? "");
      expect(back.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await exchange({ code: back.searchParams.get("code") })).status).toBe(200);
      // A login an instance of the version before stored in clear still completes (rolling upgrade).
      const third = await started();
      const clear = await t.deps.sealer.open(third.stored, third.key.slice(t.prefix.length));
      await redis.set(third.key, clear, "PX", 60_000);
      const legacy = new URL((await fetch(third.location, { redirect: "manual" })).headers.get("location") ?? "");
      const legacyBack = new URL((await t.app.request(legacy.pathname + legacy.search)).headers.get("location") ?? "");
      expect(legacyBack.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      redis.disconnect();
    }
  });

  const TOKEN = "The provider's token response could not be used.";
  it.each([
    ["wrong-nonce", "server_error", TOKEN, /"nonce"/],
    ["wrong-audience", "server_error", TOKEN, /"aud"/],
    ["wrong-issuer", "server_error", TOKEN, /"iss"/],
    ["bad-signature", "server_error", "The provider's ID token signature could not be verified.", /signature/],
    ["expired", "server_error", TOKEN, /"exp"/],
    ["future-iat", "server_error", TOKEN, /"iat"/],
    ["token-error", "server_error", TOKEN, /invalid_grant/],
    ["garbage", "server_error", TOKEN, /JSON/],
    ["deny", "access_denied", "The provider answered access_denied.", /access_denied/],
    ["unavailable", "temporarily_unavailable", "The provider answered temporarily_unavailable.", /temporarily_un/],
  ] as const)(
    "ends a login whose provider answers %s with error=%s and no code",
    async (misbehave, error, description, because) => {
      idp.state.misbehave = misbehave;
      logs.lines.length = 0;
      idp.state.nextUser = { sub: `bad-${misbehave}`, email: `${misbehave}@idp.example`, email_verified: true };
      try {
        const back = await login();
        expect(back.origin + back.pathname).toBe(APP);
        expect(back.searchParams.get("error")).toBe(error);
        expect(back.searchParams.get("state")).toBe("client-state");
        expect(back.searchParams.get("code")).toBeNull();
        // The browser gets the step's fixed message; the cause is in the log only.
        expect(back.searchParams.get("error_description")).toBe(description);
        const failed = logs.lines.find((line) => line.event === "federation_failed");
        expect(failed?.level).toBe("warn");
        expect(String(failed?.fields.reason)).toMatch(because);
      } finally {
        idp.state.misbehave = "none";
      }
    },
  );
});

describe("a provider rotating its key under the same kid", () => {
  it("refetches the JWKS once when the signature fails under the cached key, at most once a minute", async () => {
    const rotating = await startFakeOidc("client-r", "secret-r");
    try {
      const put = await t.app.request("/t/fed/v1/admin/oauth-providers/rotating", {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({ client_id: "client-r", client_secret: "secret-r", issuer: rotating.issuer }),
      });
      expect(put.status, await put.clone().text()).toBe(200);
      const codeFor = async (sub: string) => {
        rotating.state.nextUser = { sub, email: `${sub}@idp.example`, email_verified: true };
        const query = new URLSearchParams({ redirect_uri: APP, state: "s" });
        const start = await t.app.request(`/t/fed/v1/oauth/rotating/authorize?${query}`);
        const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
        const callback = new URL(atProvider.headers.get("location") ?? "");
        const back = new URL((await t.app.request(callback.pathname + callback.search)).headers.get("location") ?? "");
        return back.searchParams;
      };
      expect((await codeFor("before")).get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotating.state.jwksRequests).toBe(1);
      await rotating.rotateKey();
      // The cached key of kid k1 fails; the JWKS is fetched again and the new key verifies.
      const after = await codeFor("after");
      expect(after.get("error_description")).toBeNull();
      expect(after.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotating.state.jwksRequests).toBe(2);
      // Forged signatures within the cooldown fetch nothing more.
      rotating.state.misbehave = "bad-signature";
      for (const sub of ["forged-1", "forged-2", "forged-3"]) {
        expect((await codeFor(sub)).get("error")).toBe("server_error");
      }
      expect(rotating.state.jwksRequests).toBe(2);
    } finally {
      await rotating.close();
    }
  });
});

describe("unreachable providers", () => {
  it("sends the browser back with temporarily_unavailable when discovery fails", async () => {
    const put = await t.app.request("/t/fed/v1/admin/oauth-providers/down", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ client_id: "c", client_secret: "s", issuer: "http://127.0.0.1:1" }),
    });
    expect(put.status).toBe(200);
    const query = new URLSearchParams({ redirect_uri: APP, state: "s1" });
    const back = new URL(
      (await t.app.request(`/t/fed/v1/oauth/down/authorize?${query}`)).headers.get("location") ?? "",
    );
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("error")).toBe("temporarily_unavailable");
    expect(back.searchParams.get("state")).toBe("s1");
  });

  it("sends the browser back with server_error when the client secret no longer opens", async () => {
    await t.app.request("/t/fed/v1/admin/oauth-providers/broken", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ client_id: "c", client_secret: "s", issuer: idp.issuer }),
    });
    const sql = new pg.Client({ connectionString: t.database.url });
    await sql.connect();
    await sql.query(
      "UPDATE oauth_providers SET client_secret_sealed = 's1.gone.AAAAAAAAAAAAAAAA.AAAA' WHERE name = 'broken'",
    );
    await sql.end();
    const query = new URLSearchParams({ redirect_uri: APP, state: "s3" });
    const back = new URL(
      (await t.app.request(`/t/fed/v1/oauth/broken/authorize?${query}`)).headers.get("location") ?? "",
    );
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("error")).toBe("server_error");
  });

  it("sends the browser back with server_error when the provider goes away mid-login", async () => {
    const flaky = await startFakeOidc("client-2", "secret-2");
    await t.app.request("/t/fed/v1/admin/oauth-providers/flaky", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ client_id: "client-2", client_secret: "secret-2", issuer: flaky.issuer }),
    });
    const query = new URLSearchParams({ redirect_uri: APP, state: "s2" });
    const start = await t.app.request(`/t/fed/v1/oauth/flaky/authorize?${query}`);
    const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const callback = new URL(atProvider.headers.get("location") ?? "");
    await flaky.close();
    const back = new URL((await t.app.request(callback.pathname + callback.search)).headers.get("location") ?? "");
    expect(back.searchParams.get("error")).toBe("server_error");
    expect(back.searchParams.get("code")).toBeNull();
  });
});

describe("a provider pointed at another issuer", () => {
  it("does not hand the old issuer's linked accounts to the new issuer's users with the same subject", async () => {
    const first = await startFakeOidc("client-m", "secret-m");
    const second = await startFakeOidc("client-m", "secret-m");
    const configure = (issuer: string) =>
      t.app.request("/t/fed/v1/admin/oauth-providers/moved", {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({ client_id: "client-m", client_secret: "secret-m", issuer }),
      });
    const signIn = async () => {
      const start = await t.app.request(
        `/t/fed/v1/oauth/moved/authorize?${new URLSearchParams({ redirect_uri: APP })}`,
      );
      const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
      const callback = new URL(atProvider.headers.get("location") ?? "");
      const back = new URL((await t.app.request(callback.pathname + callback.search)).headers.get("location") ?? "");
      const answer = await exchange({ code: back.searchParams.get("code") });
      expect(answer.status, back.toString()).toBe(200);
      return String(decode(((await answer.json()) as TokenBody).access_token).claims.sub);
    };
    try {
      expect((await configure(first.issuer)).status).toBe(200);
      first.state.nextUser = { sub: "user-7", email: "owner@first.example", email_verified: true };
      const owner = await signIn();
      expect(await signIn()).toBe(owner);
      // The admin moves the provider name to another issuer, whose "user-7" is somebody else.
      expect((await configure(second.issuer)).status).toBe(200);
      second.state.nextUser = { sub: "user-7", email: "stranger@second.example", email_verified: true };
      expect(await signIn()).not.toBe(owner);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe("redirect_uri", () => {
  const variants = REDIRECT_VARIANTS;

  it.each(variants)("refuses %j with 400 invalid_redirect_uri and no redirect", async (uri) => {
    const query = new URLSearchParams({ redirect_uri: uri, state: "s" });
    const answer = await readAnswer(await t.app.request(`/t/fed/v1/oauth/idp/authorize?${query}`));
    expectProblem(answer, 400, "invalid_redirect_uri");
    expect(answer.headers.get("location")).toBeNull();
  });

  it("accepts a native app's private-use scheme on the allowlist", async () => {
    const query = new URLSearchParams({ redirect_uri: "com.example.app:/cb", state: "s" });
    expect((await t.app.request(`/t/fed/v1/oauth/idp/authorize?${query}`)).status).toBe(302);
  });

  it("answers 400 when redirect_uri is missing", async () => {
    expectProblem(await readAnswer(await t.app.request("/t/fed/v1/oauth/idp/authorize")), 400, "validation_failed");
  });
});

describe("provider configuration", () => {
  const put = (name: string, body: unknown, headers: Record<string, string> = admin) =>
    t.app.request(`/t/fed/v1/admin/oauth-providers/${name}`, { method: "PUT", headers, body: JSON.stringify(body) });

  it("stores catalogue and generic providers without ever returning the secret", async () => {
    const google = await put("google", { client_id: "g", client_secret: "very-secret" });
    expect(google.status).toBe(200);
    const body = await google.text();
    expect(body).not.toContain("very-secret");
    expect(JSON.parse(body)).toMatchObject({
      provider: "google",
      client_id: "g",
      issuer: "https://accounts.google.com",
      scopes: ["openid", "email", "profile"],
      enabled: true,
    });
  });

  it("refuses a generic provider without issuer, bad issuers, bad names and anonymous callers", async () => {
    expectProblem(
      await readAnswer(await put("corp", { client_id: "c", client_secret: "s" })),
      400,
      "validation_failed",
    );
    for (const issuer of ["http://evil.example", "not a url", "https://idp.example/?x=1"]) {
      expectProblem(
        await readAnswer(await put("corp", { client_id: "c", client_secret: "s", issuer })),
        400,
        "validation_failed",
      );
    }
    expectProblem(
      await readAnswer(await put("Bad_Name", { client_id: "c", client_secret: "s" })),
      400,
      "validation_failed",
    );
    expect((await put("google", { client_id: "g", client_secret: "s" }, JSON_HEADERS)).status).toBe(401);
  });

  it("stops logins through a disabled provider", async () => {
    await put("idp", { client_id: "client-1", client_secret: "secret-1", issuer: idp.issuer, enabled: false });
    try {
      const query = new URLSearchParams({ redirect_uri: APP, state: "s" });
      const back = new URL(
        (await t.app.request(`/t/fed/v1/oauth/idp/authorize?${query}`)).headers.get("location") ?? "",
      );
      expect(back.origin + back.pathname).toBe(APP);
      expect(back.searchParams.get("error")).toBe("invalid_request");
    } finally {
      await put("idp", { client_id: "client-1", client_secret: "secret-1", issuer: idp.issuer });
    }
  });
});
