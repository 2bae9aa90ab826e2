/** The authorization endpoint's decisions without HTTP: validation order and what a valid request needs next. */
import { describe, expect, it } from "vitest";
import {
  type AuthorizationRequest,
  nextStep,
  validateAuthorizationRequest,
} from "../../src/core/oidc/authorization.js";
import type { OAuthClient } from "../../src/core/oidc/client-types.js";

const CLIENT: OAuthClient = {
  tenantId: "t",
  clientId: "AAAAAAAAAAAAAAAAAAAAAA",
  name: "App",
  type: "public",
  redirectUris: ["https://app.example/cb"],
  postLogoutRedirectUris: [],
  grantTypes: ["authorization_code"],
  scopes: ["openid", "email"],
  firstParty: false,
  accessTokenTtl: null,
  refreshTokenTtl: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
};
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const params = (extra: Record<string, string> = {}) =>
  new URLSearchParams({
    response_type: "code",
    client_id: CLIENT.clientId,
    redirect_uri: "https://app.example/cb",
    scope: "openid email",
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...extra,
  });

function valid(extra: Record<string, string> = {}): AuthorizationRequest {
  const result = validateAuthorizationRequest(params(extra), CLIENT);
  if (result.kind !== "valid") throw new Error(JSON.stringify(result));
  return result.request;
}

describe("validateAuthorizationRequest", () => {
  it("checks the client before anything else, even a bad response_type", () => {
    const result = validateAuthorizationRequest(params({ response_type: "token" }), null);
    expect(result).toMatchObject({ kind: "page", reason: "unknown_client" });
  });

  it("reads prompt, max_age, login_hint and ui_locales", () => {
    expect(
      valid({ prompt: "login consent", max_age: "300", login_hint: "a@b.c", ui_locales: "de-CH en" }),
    ).toMatchObject({
      forceLogin: true,
      forceConsent: true,
      noPrompt: false,
      maxAge: 300,
      loginHint: "a@b.c",
      uiLocales: ["de-CH", "en"],
    });
    expect(valid()).toMatchObject({ forceLogin: false, maxAge: null, scopes: ["openid", "email"] });
    expect(valid({ max_age: "0" }).forceLogin).toBe(true);
  });

  it("requires PKCE S256 of a public client; a confidential client may go without, but not half of it", () => {
    const without = new URLSearchParams(params());
    without.delete("code_challenge");
    without.delete("code_challenge_method");
    expect(validateAuthorizationRequest(without, CLIENT)).toMatchObject({ kind: "redirect", error: "invalid_request" });
    const confidential = { ...CLIENT, type: "confidential" as const };
    expect(validateAuthorizationRequest(without, confidential)).toMatchObject({
      kind: "valid",
      request: { codeChallenge: null },
    });
    const methodOnly = new URLSearchParams(without);
    methodOnly.set("code_challenge_method", "S256");
    const plain = params({ code_challenge_method: "plain" });
    for (const half of [methodOnly, plain]) {
      expect(validateAuthorizationRequest(half, confidential)).toMatchObject({
        kind: "redirect",
        error: "invalid_request",
      });
    }
  });

  it("ignores scopes the client may not ask for (OIDC Core §3.1.2.1), and refuses a malformed one", () => {
    expect(valid({ scope: "openid address offline_access email admin" }).scopes).toEqual(["openid", "email"]);
    const malformed = validateAuthorizationRequest(params({ scope: 'openid "email"' }), CLIENT);
    expect(malformed).toMatchObject({ kind: "redirect", error: "invalid_scope" });
  });

  it("refuses a client without the authorization_code grant", () => {
    const result = validateAuthorizationRequest(params(), { ...CLIENT, grantTypes: ["client_credentials"] });
    expect(result).toMatchObject({ kind: "redirect", error: "unauthorized_client" });
  });
});

describe("nextStep", () => {
  const session = { sessionId: "s1", userId: "u1", authTime: 1_000, amr: ["pwd"] };
  const now = 2_000;

  it("needs a login without a session, or login_required with prompt=none", () => {
    expect(nextStep(valid(), CLIENT, null, null, now)).toEqual({ kind: "login" });
    expect(nextStep(valid({ prompt: "none" }), CLIENT, null, null, now)).toMatchObject({ error: "login_required" });
  });

  it("forces a login for prompt=login or an old session, unless the login happened in this request", () => {
    expect(nextStep(valid({ prompt: "login" }), CLIENT, session, ["openid", "email"], now).kind).toBe("login");
    expect(nextStep(valid({ max_age: "500" }), CLIENT, session, ["openid", "email"], now).kind).toBe("login");
    expect(nextStep(valid({ max_age: "5000" }), CLIENT, session, ["openid", "email"], now).kind).toBe("issue");
    const here = { ...valid({ prompt: "login", max_age: "0" }), loginSessionId: "s1" };
    expect(nextStep(here, CLIENT, session, ["openid", "email"], now).kind).toBe("issue");
  });

  it("forces a login when id_token_hint names another user than the signed-in one; login_required with prompt=none", () => {
    const granted = ["openid", "email"];
    const hinted = (subject: string, prompt?: string) => ({
      ...valid(prompt ? { prompt } : {}),
      hintSubject: subject,
    });
    expect(nextStep(hinted("u1"), CLIENT, session, granted, now).kind).toBe("issue");
    expect(nextStep(hinted("u1", "none"), CLIENT, session, granted, now).kind).toBe("issue");
    expect(nextStep(hinted("u2"), CLIENT, session, granted, now).kind).toBe("login");
    expect(nextStep(hinted("u2", "none"), CLIENT, session, granted, now)).toMatchObject({ error: "login_required" });
    // Signed in within this request: the hinted user is the answer, anyone else login_required.
    expect(nextStep({ ...hinted("u1"), loginSessionId: "s1" }, CLIENT, session, granted, now).kind).toBe("issue");
    expect(nextStep({ ...hinted("u2"), loginSessionId: "s1" }, CLIENT, session, granted, now)).toMatchObject({
      kind: "error",
      error: "login_required",
    });
  });

  it("forces a login for acr_values urn:authority:mfa when the session lacks mfa; login_required with prompt=none", () => {
    const granted = ["openid", "email"];
    const mfa = { acr_values: "urn:authority:mfa" };
    expect(valid(mfa).wantsMfa).toBe(true);
    expect(valid({ acr_values: "urn:authority:pwd other" }).wantsMfa).toBe(false);
    expect(nextStep(valid(mfa), CLIENT, session, granted, now).kind).toBe("login");
    expect(nextStep(valid({ ...mfa, prompt: "none" }), CLIENT, session, granted, now)).toMatchObject({
      error: "login_required",
    });
    const strong = { ...session, amr: ["pwd", "otp", "mfa"] };
    expect(nextStep(valid(mfa), CLIENT, strong, granted, now).kind).toBe("issue");
    // A login in this request that could not reach mfa (no factor) goes on; the ID token's acr tells.
    const here = { ...valid(mfa), loginSessionId: "s1" };
    expect(nextStep(here, CLIENT, session, granted, now).kind).toBe("issue");
  });

  it("asks a third-party client's consent for scopes not granted yet; never a first-party client's", () => {
    expect(nextStep(valid(), CLIENT, session, ["openid"], now).kind).toBe("consent");
    expect(nextStep(valid(), CLIENT, session, null, now).kind).toBe("consent");
    expect(nextStep(valid({ prompt: "none" }), CLIENT, session, ["openid"], now)).toMatchObject({
      error: "consent_required",
    });
    expect(nextStep(valid({ prompt: "consent" }), CLIENT, session, ["openid", "email"], now).kind).toBe("consent");
    expect(nextStep(valid(), { firstParty: true }, session, null, now).kind).toBe("issue");
  });
});
