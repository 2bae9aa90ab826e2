/**
 * Federated login inside workerd: the built Worker against a real OpenID
 * Connect provider (oidc-provider) on loopback http, which the Worker reaches
 * with its own fetch (discovery, token, JWKS, UserInfo). authorize -> the
 * provider's login form -> callback -> one-time code -> exchange -> /v1/me,
 * and across runtimes: the Node app on the same Postgres and Redis keys
 * finishes logins the Worker started and redeems the Worker's codes.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { type OidcProvider, startOidcProvider } from "../support/oidc-provider.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import {
  type NodeTwin,
  startNodeTwin,
  startWorkerHarness,
  type WorkerHarness,
  type WorkerInstance,
} from "../support/runtime-worker.js";

type Request = (path: string, init?: RequestInit) => Promise<Response>;

const APP = "https://app.example.com/callback";
const TENANT = "edgefed";

let h: WorkerHarness;
let worker: WorkerInstance;
let op: OidcProvider;
let onWorker: Request;
let twin: NodeTwin;
let onNode: Request;

beforeAll(async () => {
  h = await startWorkerHarness();
  // The callback is under the Worker's PUBLIC_URL; the Node app below has the same one.
  op = await startOidcProvider({
    clientId: "edge-client",
    clientSecret: "edge-client-secret-0123456789",
    redirectUris: [`${h.publicUrl}/t/${TENANT}/v1/oauth/op/callback`],
  });
  worker = await h.start();
  // Miniflare's dispatchFetch follows redirects unless told not to; a browser's redirects are followed here by hand.
  onWorker = (path, init) => worker.request(path, { redirect: "manual", ...init });

  twin = await startNodeTwin(h);
  const app = twin.app;
  onNode = async (path, init) => app.request(path, init);

  const api = client(onWorker, h.adminKey);
  await api.createTenant(TENANT);
  expect((await api.redirectUris(TENANT, [APP])).status).toBe(200);
  const put = await onWorker(`/t/${TENANT}/v1/admin/oauth-providers/op`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${h.adminKey}`, ...JSON_HEADERS },
    body: JSON.stringify({
      client_id: "edge-client",
      client_secret: "edge-client-secret-0123456789",
      issuer: op.issuer,
    }),
  });
  expect(put.status, await put.clone().text()).toBe(200);
}, 60_000);

afterAll(async () => {
  await twin?.close();
  await op?.close();
  await h?.close();
}, 60_000);

const pkce = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};

/** authorize on `start`, the provider's login as `account`, the callback on `finish`; resolves the one-time code. */
async function login(account: string, challenge: string, start = onWorker, finish = onWorker): Promise<string> {
  const query = new URLSearchParams({
    redirect_uri: APP,
    state: `s-${account}`,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  const begun = await start(`/t/${TENANT}/v1/oauth/op/authorize?${query}`);
  expect(begun.status, `${await begun.clone().text()}\n${worker.logs.join("\n")}`).toBe(302);
  const authorization = new URL(begun.headers.get("location") ?? "");
  expect(authorization.origin, authorization.href).toBe(op.issuer);

  const callback = await op.login(authorization.href, account);
  expect(callback.origin + callback.pathname).toBe(`${h.publicUrl}/t/${TENANT}/v1/oauth/op/callback`);
  const back = await finish(callback.pathname + callback.search);
  expect(back.status, await back.clone().text()).toBe(302);
  const location = new URL(back.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe(APP);
  expect(location.searchParams.get("state")).toBe(`s-${account}`);
  expect(location.searchParams.get("error_description"), worker.logs.join("\n")).toBeNull();
  return location.searchParams.get("code") ?? "";
}

const exchange = (request: Request, code: string, codeVerifier?: string) =>
  request(`/t/${TENANT}/v1/token/exchange`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ code, ...(codeVerifier ? { code_verifier: codeVerifier } : {}) }),
  });

async function tokens(request: Request, code: string, verifier: string): Promise<TokenBody> {
  const answer = await exchange(request, code, verifier);
  expect(answer.status, await answer.clone().text()).toBe(200);
  return (await answer.json()) as TokenBody;
}

async function me(request: Request, token: string): Promise<Record<string, unknown>> {
  const response = await client(request, h.adminKey).me(TENANT, token);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("federated login inside workerd", () => {
  it("goes authorize -> provider login -> callback -> one-time code -> exchange -> /v1/me", async () => {
    const { verifier, challenge } = pkce();
    const code = await login("alice", challenge);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const first = await tokens(onWorker, code, verifier);
    expect(decode(first.access_token).claims).toMatchObject({ amr: ["oauth"], sid: first.session_id });
    expect(await me(onWorker, first.access_token)).toMatchObject({
      id: decode(first.access_token).claims.sub,
      email: "Alice@op.example",
      email_verified: true,
      name: "Alice Example",
    });
    // The provider's default: only `sub` in the ID token, the rest by UserInfo, fetched by the Worker.
    expect(op.seen.routes.userinfo).toBeGreaterThanOrEqual(1);
    expectProblem(await readAnswer(await exchange(onWorker, code, verifier)), 400, "invalid_grant");

    // The same upstream subject again: the same user. Another subject: another user.
    const again = pkce();
    const second = await tokens(onWorker, await login("alice", again.challenge), again.verifier);
    expect(decode(second.access_token).claims.sub).toBe(decode(first.access_token).claims.sub);
    const other = pkce();
    const bob = await tokens(onWorker, await login("bob", other.challenge), other.verifier);
    expect(decode(bob.access_token).claims.sub).not.toBe(decode(first.access_token).claims.sub);
    expect(await me(onWorker, bob.access_token)).toMatchObject({ email: "bob@op.example", name: "Bob Example" });
  });

  it("checks the client app's PKCE verifier at the exchange", async () => {
    const { verifier, challenge } = pkce();
    const without = await login("bob", challenge);
    expectProblem(await readAnswer(await exchange(onWorker, without)), 400, "invalid_grant");
    const wrong = await login("bob", challenge);
    expectProblem(await readAnswer(await exchange(onWorker, wrong, pkce().verifier)), 400, "invalid_grant");
    const right = await login("bob", challenge);
    expect(await me(onWorker, (await tokens(onWorker, right, verifier)).access_token)).toMatchObject({
      email: "bob@op.example",
    });
  });
});

describe("across runtimes, on one database and one Redis", () => {
  it("finishes on Node a login the Worker started, and redeems a Worker's code on Node", async () => {
    const first = pkce();
    const onWorkerTokens = await tokens(onWorker, await login("carol", first.challenge), first.verifier);
    const carol = decode(onWorkerTokens.access_token).claims.sub;

    // Started on the Worker (state in Redis through Upstash), finished on Node: the same identity.
    const second = pkce();
    const nodeFinished = await tokens(
      onNode,
      await login("carol", second.challenge, onWorker, onNode),
      second.verifier,
    );
    expect(decode(nodeFinished.access_token).claims.sub).toBe(carol);

    // Started on Node, finished on the Worker, its code redeemed on Node.
    const third = pkce();
    const code = await login("carol", third.challenge, onNode, onWorker);
    const mixed = await tokens(onNode, code, third.verifier);
    expect(decode(mixed.access_token).claims.sub).toBe(carol);
    expect(await me(onWorker, mixed.access_token)).toMatchObject({ id: carol, email: "carol@op.example" });
  });
});

describe("provider URLs on a production Worker", () => {
  // Workers cannot reach private ranges, but the names and literal addresses are refused all the same
  // (the core's check); names that resolve to them are Cloudflare's to refuse, not looked up here.
  it("refuses internal issuers at configuration and a stored loopback provider at login", async () => {
    // Production refuses to only log mail: a Postmark token (never used here) stands in.
    const production = await h.start({
      APP_ENV: "production",
      POSTMARK_SERVER_TOKEN: "unused-postmark-token",
      MAIL_FROM: "no-reply@auth.example",
    });
    const request: Request = (path, init) => production.request(path, { redirect: "manual", ...init });
    for (const issuer of [
      "https://169.254.169.254",
      "https://[::ffff:127.0.0.1]",
      "https://metadata.google.internal",
    ]) {
      const answer = await readAnswer(
        await request(`/t/${TENANT}/v1/admin/oauth-providers/corp`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${h.adminKey}`, ...JSON_HEADERS },
          body: JSON.stringify({ client_id: "c", client_secret: "s", issuer }),
        }),
      );
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toMatchObject([{ path: "issuer" }]);
    }
    // `op` was stored by the test-environment Worker: an http loopback issuer.
    const discoveries = op.seen.routes.discovery ?? 0;
    const query = new URLSearchParams({ redirect_uri: APP, state: "prod" });
    const answer = await request(`/t/${TENANT}/v1/oauth/op/authorize?${query}`);
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get("location") ?? "");
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("error_description")).toBe("The provider's configuration could not be fetched.");
    expect(op.seen.routes.discovery ?? 0).toBe(discoveries);
    expect(production.logs.join("\n")).toMatch(/refused destination/);
  });
});
