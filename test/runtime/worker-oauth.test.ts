/**
 * The token endpoint and UserInfo inside workerd (the built Worker: the
 * code script and session children over Upstash REST, ID tokens signed by
 * WebCrypto), with openid-client as the relying party. The code comes from
 * the Node app on the same database and Redis prefix, as the authorization
 * endpoint of another instance of the deployment would issue it.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import * as openid from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Base64Url } from "../../src/core/crypto/digest.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { client, JSON_HEADERS } from "../support/accounts.js";
import { REDIRECT_URI, randomVerifier } from "../support/oidc.js";
import {
  type NodeTwin,
  startNodeTwin,
  startWorkerHarness,
  type WorkerHarness,
  type WorkerInstance,
} from "../support/runtime-worker.js";

let h: WorkerHarness;
let worker: WorkerInstance;
let twin: NodeTwin;
let tenant: Tenant;
let users = 0;

const SLUG = "edge-op";
const issuer = () => `${h.publicUrl}/t/${SLUG}`;
/** openid-client's requests go to the Worker (its URLs carry the public origin). */
const toWorker = (url: string, options: { method?: string; headers?: HeadersInit; body?: unknown }) =>
  worker.request(new URL(url).pathname + new URL(url).search, {
    method: options.method,
    headers: options.headers,
    body: options.body as BodyInit | null,
  });

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  twin = await startNodeTwin(h);
  await client((path, init) => worker.request(path, init), h.adminKey).createTenant(SLUG, { signing_alg: "ES256" });
  tenant = (await twin.db.tenants.findBySlug(SLUG)) as Tenant;
}, 60_000);
afterAll(async () => {
  await twin?.close();
  await h?.close();
}, 60_000);

async function register(body: Record<string, unknown>): Promise<{ client_id: string; client_secret: string }> {
  const response = await worker.request(`/t/${SLUG}/v1/admin/clients`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${h.adminKey}` },
    body: JSON.stringify({ name: "Edge RP", redirect_uris: [REDIRECT_URI], ...body }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}

/** A user logged in at the provider (a provider session) and a code for `clientId`, issued on Node. */
async function codeFor(clientId: string, nonce: string) {
  const signup = await worker.request(`/t/${SLUG}/v1/signup`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ email: `edge${++users}@example.org`, password: "correct horse battery staple" }),
  });
  const { user } = (await signup.json()) as { user: { id: string } };
  const record = await twin.db.users.findById(tenant.id, user.id);
  const { session } = await twin.services.sessions.start(
    tenant,
    record as NonNullable<typeof record>,
    { authMethod: "password", amr: ["pwd"] },
    { userAgent: null, ip: null },
    { clientId: "provider" },
  );
  const verifier = randomVerifier();
  // The consent a third-party client's code stands on (the consent page records it before the code).
  await twin.services.consents.grant(tenant, user.id, clientId, ["openid", "email"]);
  const code = await twin.services.authorizationCodes.issue(tenant, {
    clientId,
    redirectUri: REDIRECT_URI,
    userId: user.id,
    providerSessionId: session.id,
    scope: "openid email",
    nonce,
    codeChallenge: await sha256Base64Url(verifier),
    authTime: Math.floor(Date.now() / 1000),
    amr: ["pwd"],
  });
  return { code, verifier, userId: user.id, providerSessionId: session.id };
}

describe("the OAuth token endpoint on workerd", () => {
  it("exchanges a code, refreshes, answers UserInfo, and revokes on a replayed code", async () => {
    const rp = await register({ type: "confidential" });
    const config = await openid.discovery(new URL(issuer()), rp.client_id, rp.client_secret, undefined, {
      [openid.customFetch]: toWorker,
      execute: [openid.enableNonRepudiationChecks],
    });
    const { code, verifier, userId, providerSessionId } = await codeFor(rp.client_id, "edge-nonce");
    const callback = new URL(`${REDIRECT_URI}?code=${code}&iss=${encodeURIComponent(issuer())}`);
    const tokens = await openid.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: "edge-nonce",
      idTokenExpected: true,
    });
    expect(tokens.claims()).toMatchObject({ sub: userId, aud: rp.client_id, sid: providerSessionId });
    const jwks = (await (await worker.request(`/t/${SLUG}/.well-known/jwks.json`)).json()) as never;
    const { protectedHeader } = await jwtVerify(tokens.id_token as string, createLocalJWKSet(jwks), {
      issuer: issuer(),
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "JWT" });

    const info = await openid.fetchUserInfo(config, tokens.access_token, userId);
    expect(info).toMatchObject({ sub: userId, email: `edge${users}@example.org` });
    const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.claims()?.sid).toBe(providerSessionId);

    // The same code again: refused, and the session it issued is over.
    await expect(
      openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: "edge-nonce" }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
    await expect(openid.fetchUserInfo(config, refreshed.access_token, userId)).rejects.toMatchObject({ status: 401 });
  });

  it("issues a client its own token", async () => {
    const machine = await register({
      type: "confidential",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      scopes: ["jobs:run"],
    });
    const config = await openid.discovery(new URL(issuer()), machine.client_id, machine.client_secret, undefined, {
      [openid.customFetch]: toWorker,
    });
    const tokens = await openid.clientCredentialsGrant(config);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: machine.client_id, scope: "jobs:run" });
  });
});
