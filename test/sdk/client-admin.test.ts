/**
 * The SDK client's administration, discovery and operations methods against
 * the real service: tenants, redirect URIs, providers, SAML connections,
 * signing-key rotation, session revocation, rate limits, JWKS, probes, and
 * reading back (and deleting) what was written.
 */
import { createClient, pages } from "@authority/sdk/client";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { createSpKeyPair } from "../../src/core/saml/sp-certificate.js";
import { TEST_PUBLIC_URL } from "../support/app.js";
import {
  countingFetch,
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  TEST_ADMIN_KEY,
  tokensOf,
  unwrap,
} from "./client-harness.js";

let s: ServedApp;
let admin: ReturnType<typeof createClient>;

function idpMetadata(cert: string) {
  const der = cert.replace(/-----[^-]+-----|\s/g, "");
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/metadata">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

beforeAll(async () => {
  s = await startServedApp();
  admin = s.admin.withTenant("adm");
});
afterAll(async () => {
  await s?.close();
});

describe("tenants", () => {
  it("creates a tenant (201) with the bootstrap key; 409 tenant_exists, 400, 401 otherwise", async () => {
    const created = await s.admin.admin.createTenant({ slug: "adm", name: "Admin tests", access_token_ttl: 300 });
    expect(created.status).toBe(201);
    expect(unwrap(created)).toMatchObject({ slug: "adm", name: "Admin tests", issuer: `${TEST_PUBLIC_URL}/t/adm` });
    expectFailure(await s.admin.admin.createTenant({ slug: "adm", name: "Again" }), 409, "tenant_exists");
    const invalid = await s.admin.admin.createTenant({ slug: "Not A Slug", name: "" });
    expectFailure(invalid, 400, "validation_failed");
    expect(invalid.ok ? [] : invalid.problem.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(["slug"]));
    const anonymous = createClient({ baseUrl: s.baseUrl });
    expectFailure(await anonymous.admin.createTenant({ slug: "x1", name: "x" }), 401, "unauthorized");
    const wrong = createClient({ baseUrl: s.baseUrl, apiKey: "not-the-admin-key" });
    expectFailure(await wrong.admin.createTenant({ slug: "x2", name: "x" }), 401, "invalid_token");
  });
});

describe("tenant administration", () => {
  it("sets the redirect allowlist (PUT, 200) and refuses an invalid URI with 400", async () => {
    const uris = ["https://app.example.com/cb", "http://127.0.0.1:3000/cb", "com.example.app:/cb"];
    expect(unwrap(await admin.admin.setRedirectUris(uris))).toEqual({ redirect_uris: uris });
    expectFailure(await admin.admin.setRedirectUris(["https://app.example.com/#frag"]), 400, "validation_failed");
  });

  it("configures a catalogue OAuth provider (never returning the secret); a generic one needs an issuer", async () => {
    const stored = unwrap(await admin.admin.putOAuthProvider("github", { client_id: "gh-id", client_secret: "gh-s" }));
    expect(stored).toMatchObject({ provider: "github", client_id: "gh-id", enabled: true });
    expect(JSON.stringify(stored)).not.toContain("gh-s");
    const generic = await admin.admin.putOAuthProvider("corp-oidc", { client_id: "c", client_secret: "s" });
    expectFailure(generic, 400, "validation_failed");
  });

  it("configures a SAML connection and serves its SP metadata", async () => {
    const cert = (await createSpKeyPair("idp", cryptoRandom, new Date())).certificatePem;
    const stored = unwrap(await admin.admin.putSamlConnection("okta", { idp_metadata_xml: idpMetadata(cert) }));
    expect(stored).toMatchObject({
      connection: "okta",
      idp_entity_id: "https://idp.example/metadata",
      acs_url: `${TEST_PUBLIC_URL}/t/adm/v1/saml/okta/acs`,
      sp_certificate: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/),
    });
    const metadata = unwrap(await admin.saml.metadata("okta"));
    expect(metadata).toContain(`entityID="${stored.sp_entity_id}"`);
    expectFailure(await admin.saml.metadata("absent"), 404, "not_found");
    const bad = await admin.admin.putSamlConnection("broken", { idp_metadata_xml: "<not-metadata/>" });
    expect(bad.ok ? 200 : bad.status).toBe(400);
  });

  it("rotates the signing keys: the published next key signs from now on, the old one stays published", async () => {
    const user = admin.withTenant("adm");
    const address = email("rot");
    const before = tokensOf(await user.signup({ email: address, password: GOOD_PASSWORD }));
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const published = unwrap(await admin.jwks()).keys.map((k) => k.kid);
    const rotated = unwrap(await admin.admin.rotateSigningKeys());
    expect(published).toContain(rotated.active_kid);
    expect(rotated.active_kid).not.toBe(oldKid);
    const after = tokensOf(await user.login({ email: address, password: GOOD_PASSWORD }));
    expect(decodeProtectedHeader(after.access_token).kid).toBe(rotated.active_kid);
    const keys = unwrap(await admin.jwks()).keys;
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.active_kid, rotated.next_kid]));
    for (const key of keys) expect(key).toMatchObject({ use: "sig", alg: expect.any(String), kty: expect.any(String) });
    unwrap(await user.me({ accessToken: before.access_token }));
  });

  it("revokes every session of a user (204); 404 not_found for an unknown user", async () => {
    const user = admin.withTenant("adm");
    const signed = tokensOf(await user.signup({ email: email("victim"), password: GOOD_PASSWORD }));
    const result = await admin.admin.revokeUserSessions(signed.user.id);
    expect(result).toMatchObject({ ok: true, status: 204 });
    expectFailure(await user.me({ accessToken: signed.access_token }), 401, "token_revoked");
    expectFailure(await admin.admin.revokeUserSessions(crypto.randomUUID()), 404, "not_found");
  });

  it("reads and overrides rate limits; a throttled login is 429 rate_limited with retryAfter, never retried", async () => {
    const limits = unwrap(await admin.admin.getRateLimits());
    expect(Object.keys(limits).sort()).toEqual([
      "default",
      "federation",
      "login",
      "mail",
      "service",
      "signup",
      "token",
    ]);
    const set = unwrap(await admin.admin.setRateLimits({ login: { limit: 1, window_seconds: 60 } }));
    expect(set.login).toEqual({ limit: 1, window_seconds: 60 });
    expect(set.signup).toEqual(limits.signup);
    expectFailure(
      await admin.admin.setRateLimits({ login: { limit: 0, window_seconds: 60 } }),
      400,
      "validation_failed",
    );

    const counting = countingFetch();
    const throttled = createClient({
      baseUrl: s.baseUrl,
      tenant: "adm",
      fetch: counting.fetch,
      headers: { "X-Test-Client-Ip": "203.0.113.77" },
    });
    expectFailure(await throttled.login({ email: email(), password: GOOD_PASSWORD }), 401, "invalid_credentials");
    const refused = await throttled.login({ email: email(), password: GOOD_PASSWORD });
    expectFailure(refused, 429, "rate_limited");
    expect(refused.ok ? undefined : refused.problem.retryAfter).toBeGreaterThan(0);
    expect(counting.count("/v1/login", "POST")).toBe(2);
    unwrap(await admin.admin.setRateLimits({}));
  });

  it("accepts a tenant API key with scope admin and answers 403 forbidden to a key without it", async () => {
    const owner = admin.withTenant("adm");
    const signed = tokensOf(await owner.signup({ email: email("owner"), password: GOOD_PASSWORD }));
    await s.grantScopes(signed.user.id, ["admin"]);
    unwrap(await owner.login({ email: signed.user.email, password: GOOD_PASSWORD }));
    const adminKey = unwrap(await owner.apiKeys.create({ name: "ops", scopes: ["admin"] })).key;
    const verifyKey = unwrap(await owner.apiKeys.create({ name: "svc", scopes: ["api_keys:verify"] })).key;
    const viaKey = createClient({ baseUrl: s.baseUrl, tenant: "adm", apiKey: adminKey });
    unwrap(await viaKey.admin.getRateLimits());
    expectFailure(await viaKey.admin.getRateLimits({ apiKey: verifyKey }), 403, "forbidden");
    expectFailure(await viaKey.admin.createTenant({ slug: "by-key", name: "x" }), 401, "invalid_token");
    expectFailure(await viaKey.withTenant("other-tenant").admin.getRateLimits(), 404, "tenant_not_found");
  });
});

describe("reading back what administration wrote", () => {
  it("lists tenants a page at a time (bootstrap key only) and reads one with its settings; 404, 400 and 401", async () => {
    for (const slug of ["adm-b", "adm-c"]) unwrap(await s.admin.admin.createTenant({ slug, name: slug }));
    const slugs: string[] = [];
    for await (const page of pages((cursor) => s.admin.admin.listTenants({ limit: 1, cursor }))) {
      slugs.push(...unwrap(page).tenants.map((t) => t.slug));
    }
    expect(slugs).toEqual(["adm", "adm-b", "adm-c"]);
    expect(unwrap(await s.admin.admin.getTenant("adm"))).toMatchObject({
      slug: "adm",
      issuer: `${TEST_PUBLIC_URL}/t/adm`,
      access_token_ttl: 300,
      signing_alg: expect.any(String),
      audience: null,
    });
    expectFailure(await s.admin.admin.getTenant("absent"), 404, "tenant_not_found");
    expectFailure(await s.admin.admin.listTenants({ cursor: "!!" }), 400, "validation_failed");
    const viaKey = createClient({ baseUrl: s.baseUrl, apiKey: "sk_not-the-bootstrap-key" });
    expectFailure(await viaKey.admin.listTenants(), 401, "invalid_token");
  });

  it("reads the redirect allowlist and the signing keys (no key material)", async () => {
    expect(unwrap(await admin.admin.getRedirectUris()).redirect_uris).toContain("https://app.example.com/cb");
    const { keys } = unwrap(await admin.admin.listSigningKeys());
    expect(keys.map((k) => k.state).slice(0, 2)).toEqual(["next", "active"]);
    expect(keys.some((k) => k.state === "retired" && k.published_until !== null)).toBe(true);
    expect(JSON.stringify(keys)).not.toMatch(/"(d|p|q|k|private\w*)":/);
  });

  it("lists, reads (with last_error) and deletes OAuth providers; 404 after, 400 for a bad name or cursor", async () => {
    unwrap(await admin.admin.putOAuthProvider("google", { client_id: "g-id", client_secret: "g-secret" }));
    const names: string[] = [];
    for await (const page of pages((cursor) => admin.admin.listOAuthProviders({ limit: 1, cursor }))) {
      names.push(...unwrap(page).providers.map((p) => p.provider));
    }
    expect(names).toEqual(["github", "google"]);
    const google = unwrap(await admin.admin.getOAuthProvider("google"));
    expect(google).toMatchObject({ provider: "google", client_id: "g-id", enabled: true, last_error: null });
    expect(JSON.stringify(google)).not.toContain("g-secret");
    expect(await admin.admin.deleteOAuthProvider("google")).toMatchObject({ ok: true, status: 204 });
    expectFailure(await admin.admin.getOAuthProvider("google"), 404, "not_found");
    expectFailure(await admin.admin.deleteOAuthProvider("google"), 404, "not_found");
    expectFailure(await admin.admin.getOAuthProvider("Not_A_Name"), 400, "validation_failed");
    expectFailure(await admin.admin.listOAuthProviders({ cursor: "Zm9vIGJhcg" }), 400, "validation_failed");
  });

  it("lists, reads and deletes SAML connections; the metadata stops at once", async () => {
    const { connections, next_cursor } = unwrap(await admin.admin.listSamlConnections());
    expect({ names: connections.map((c) => c.connection), next_cursor }).toEqual({
      names: ["okta"],
      next_cursor: null,
    });
    const okta = unwrap(await admin.admin.getSamlConnection("okta"));
    expect(okta).toEqual(connections[0]);
    expect(okta).toMatchObject({ trust_email: false, sp_certificate: expect.stringMatching(/^-----BEGIN CERT/) });
    expect(JSON.stringify(okta)).not.toContain("PRIVATE KEY");
    expect(await admin.admin.deleteSamlConnection("okta")).toMatchObject({ ok: true, status: 204 });
    expectFailure(await admin.saml.metadata("okta"), 404, "not_found");
    expectFailure(await admin.admin.getSamlConnection("okta"), 404, "not_found");
    expectFailure(await admin.admin.deleteSamlConnection("okta"), 404, "not_found");
  });
});

describe("discovery and operations", () => {
  it("reads the issuer metadata and the JWKS", async () => {
    const metadata = unwrap(await admin.discovery());
    expect(metadata).toMatchObject({
      issuer: `${TEST_PUBLIC_URL}/t/adm`,
      jwks_uri: `${TEST_PUBLIC_URL}/t/adm/.well-known/jwks.json`,
      token_endpoint: `${TEST_PUBLIC_URL}/t/adm/oauth2/token`,
      introspection_endpoint: `${TEST_PUBLIC_URL}/t/adm/v1/introspect`,
      revocation_endpoint: `${TEST_PUBLIC_URL}/t/adm/v1/revoke`,
      userinfo_endpoint: `${TEST_PUBLIC_URL}/t/adm/v1/userinfo`,
    });
    expect(unwrap(await admin.jwks()).keys.length).toBeGreaterThanOrEqual(2);
  });

  it("answers health, readiness, the OpenAPI document and metrics", async () => {
    expect(unwrap(await admin.health())).toEqual({ status: "ok" });
    expect(unwrap(await admin.ready())).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
    const openapi = unwrap(await admin.openapi());
    expect(openapi.openapi).toMatch(/^3\.1/);
    expect(Object.keys(openapi.paths as object)).toContain("/t/{tenant}/v1/login");
    const metrics = await admin.metrics();
    // The test app has no metrics source: the route answers the normal not-found problem.
    if (metrics.ok) expect(metrics.value).toMatch(/^# (HELP|TYPE) /m);
    else expectFailure(metrics, 404, "not_found");
  });

  it("admin key option and explicit apiKey reach every admin route (no key: 401)", async () => {
    const anonymous = createClient({ baseUrl: s.baseUrl, tenant: "adm" });
    expectFailure(await anonymous.admin.getRateLimits(), 401, "unauthorized");
    unwrap(await anonymous.admin.getRateLimits({ apiKey: TEST_ADMIN_KEY }));
  });
});
