/**
 * The SDK client's federated-login helpers against the real service and a
 * local OpenID Connect provider: PKCE, authorize/login URLs, the redirect
 * back, the code exchange; SAML login URLs and metadata.
 */
import { createHash } from "node:crypto";
import {
  codeChallengeS256,
  createClient,
  createPkce,
  generateCodeVerifier,
  generateState,
  parseCallback,
} from "@authority/sdk/client";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { createSpKeyPair } from "../../src/core/saml/sp-certificate.js";
import { TEST_PUBLIC_URL } from "../support/app.js";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.js";
import { countingFetch, expectFailure, type ServedApp, startServedApp, tokensOf, unwrap } from "./client-harness.js";

const APP = "https://app.example.com/callback";
let s: ServedApp;
let idp: FakeOidc;
let admin: ReturnType<typeof createClient>;
const client = () => createClient({ baseUrl: s.baseUrl, tenant: "fed" });

beforeAll(async () => {
  s = await startServedApp();
  idp = await startFakeOidc("client-1", "secret-1");
  unwrap(await s.admin.admin.createTenant({ slug: "fed", name: "Federation" }));
  admin = s.admin.withTenant("fed");
  unwrap(await admin.admin.setRedirectUris([APP]));
  unwrap(
    await admin.admin.putOAuthProvider("idp", { client_id: "client-1", client_secret: "secret-1", issuer: idp.issuer }),
  );
});
afterAll(async () => {
  await idp?.close();
  await s?.close();
});

/** The browser's part: service → provider → callback (at PUBLIC_URL, here the served app) → back to the app. */
async function browse(url: string): Promise<string> {
  const start = await fetch(url, { redirect: "manual" });
  expect(start.status, await start.clone().text()).toBe(302);
  const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const callback = new URL(atProvider.headers.get("location") ?? "");
  expect(`${callback.origin}${callback.pathname}`).toBe(`${TEST_PUBLIC_URL}/t/fed/v1/oauth/idp/callback`);
  const back = await fetch(`${s.baseUrl}${callback.pathname}${callback.search}`, { redirect: "manual" });
  expect(back.status).toBe(302);
  return back.headers.get("location") ?? "";
}

describe("PKCE helpers (WebCrypto)", () => {
  it("derives the RFC 7636 Appendix B challenge and matches Node's SHA-256", async () => {
    expect(await codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    const pkce = await createPkce();
    expect(pkce.codeVerifier).toMatch(/^[A-Za-z0-9\-._~]{64}$/);
    expect(pkce.codeChallenge).toBe(createHash("sha256").update(pkce.codeVerifier).digest("base64url"));
    expect(pkce.codeChallengeMethod).toBe("S256");
    expect(generateCodeVerifier(43)).toHaveLength(43);
    expect(generateCodeVerifier(128)).toHaveLength(128);
    expect(() => generateCodeVerifier(42)).toThrow(RangeError);
    expect(new Set(Array.from({ length: 50 }, () => generateCodeVerifier())).size).toBe(50);
    expect(generateState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("OAuth / OpenID Connect providers", () => {
  it("builds the authorize URL exactly, and refuses a bad provider name", () => {
    const c = client();
    expect(c.oauth.authorizeUrl("idp", { redirect_uri: APP, state: "s 1", code_challenge: "abc" })).toBe(
      `${s.baseUrl}/t/fed/v1/oauth/idp/authorize?redirect_uri=${encodeURIComponent(APP)}&state=s+1&code_challenge=abc&code_challenge_method=S256`,
    );
    expect(c.oauth.authorizeUrl("idp", { redirect_uri: APP })).toBe(
      `${s.baseUrl}/t/fed/v1/oauth/idp/authorize?redirect_uri=${encodeURIComponent(APP)}`,
    );
    expect(c.oauth.callbackUrl("google")).toBe(`${s.baseUrl}/t/fed/v1/oauth/google/callback`);
    expect(() => c.oauth.authorizeUrl("../admin", { redirect_uri: APP })).toThrow(TypeError);
    expect(() => c.oauth.authorizeUrl("idp", { redirect_uri: "" })).toThrow(TypeError);
  });

  it("logs in end to end: start (state + PKCE) → provider → back → completeLogin → tokens and /me", async () => {
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "fed-1", email: "fed-1@idp.example", email_verified: true, name: "Fed" };
    const c = client();
    const pending = await c.oauth.start("idp", { redirect_uri: APP });
    const query = new URL(pending.url).searchParams;
    expect(query.get("state")).toBe(pending.state);
    expect(query.get("code_challenge")).toBe(await codeChallengeS256(pending.codeVerifier));
    const back = await browse(pending.url);
    expect(parseCallback(back)).toMatchObject({ state: pending.state, code: expect.any(String), error: undefined });
    const tokens = tokensOf(await c.completeLogin(back, pending));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ amr: ["oauth"] });
    expect(unwrap(await c.me())).toMatchObject({ email: "fed-1@idp.example", name: "Fed" });
    // The code works once.
    expectFailure(await c.completeLogin(back, pending), 400, "invalid_grant");
  });

  it("needs the right code_verifier: missing or wrong is 400 invalid_grant", async () => {
    idp.state.nextUser = { sub: "fed-2", email: "fed-2@idp.example", email_verified: true };
    const c = client();
    const pending = await c.oauth.start("idp", { redirect_uri: APP });
    const code = parseCallback(await browse(pending.url)).code as string;
    expectFailure(await c.exchange({ code }), 400, "invalid_grant");
    const again = await c.oauth.start("idp", { redirect_uri: APP });
    const wrong = parseCallback(await browse(again.url)).code as string;
    expectFailure(await c.exchange({ code: wrong, code_verifier: generateCodeVerifier() }), 400, "invalid_grant");
    expectFailure(await c.exchange({ code: "made-up" }), 400, "invalid_grant");
    expect(await c.session.get()).toBeUndefined();
  });

  it("refuses a foreign state and reports a provider's error without any request", async () => {
    const counting = countingFetch();
    const c = createClient({ baseUrl: s.baseUrl, tenant: "fed", fetch: counting.fetch });
    const foreign = await c.completeLogin(`${APP}?code=abc&state=other`, { state: "mine", codeVerifier: "v" });
    expect(foreign).toMatchObject({ ok: false, kind: "callback", status: 0, problem: { code: "state_mismatch" } });
    const denied = await c.completeLogin(`${APP}?error=access_denied&error_description=No%20way&state=mine`, {
      state: "mine",
    });
    expect(denied).toMatchObject({ ok: false, kind: "callback", problem: { code: "access_denied", detail: "No way" } });
    expect(counting.sent).toHaveLength(0);

    idp.state.misbehave = "deny";
    const pending = await c.oauth.start("idp", { redirect_uri: APP });
    const result = await c.completeLogin(await browse(pending.url), pending);
    expect(result).toMatchObject({ ok: false, kind: "callback", problem: { code: "access_denied" } });
    idp.state.misbehave = "none";
  });

  it("a redirect_uri off the allowlist is 400 invalid_redirect_uri at the service", async () => {
    const url = client().oauth.authorizeUrl("idp", { redirect_uri: "https://evil.example/cb", state: "s" });
    const answer = await fetch(url, { redirect: "manual" });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { code: string }).code).toBe("invalid_redirect_uri");
  });
});

describe("SAML connections", () => {
  it("builds the SP-initiated login URL (302 to the IdP) and reads the SP metadata", async () => {
    const cert = (await createSpKeyPair("idp", cryptoRandom, new Date())).certificatePem;
    const der = cert.replace(/-----[^-]+-----|\s/g, "");
    const metadataXml = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
    unwrap(await admin.admin.putSamlConnection("corp", { idp_metadata_xml: metadataXml }));
    const c = client();
    expect(c.saml.metadataUrl("corp")).toBe(`${s.baseUrl}/t/fed/v1/saml/corp/metadata`);
    expect(c.saml.acsUrl("corp")).toBe(`${s.baseUrl}/t/fed/v1/saml/corp/acs`);
    expect(unwrap(await c.saml.metadata("corp"))).toContain("AssertionConsumerService");
    const pending = await c.saml.start("corp", { redirect_uri: APP });
    expect(pending.url.startsWith(`${s.baseUrl}/t/fed/v1/saml/corp/login?`)).toBe(true);
    const answer = await fetch(pending.url, { redirect: "manual" });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe("https://idp.example/sso");
    expect(location.searchParams.get("SAMLRequest")).toEqual(expect.any(String));
    const refused = await fetch(c.saml.loginUrl("corp", { redirect_uri: "https://evil.example/" }), {
      redirect: "manual",
    });
    expect(refused.status).toBe(400);
  });
});
