import { isRegisteredRedirectUri } from "../net/redirect-uri.js";
import { ACR_MFA } from "../tokens/acr.js";
import type { OAuthClient } from "./client-types.js";

/**
 * The authorization endpoint's decisions (RFC 6749 §4.1, OIDC Core §3.1.2),
 * free of HTTP: which request is valid, and what a valid one needs next.
 */

/** A validated authorization request, kept server-side while the user signs in and consents. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** Requested scopes, each allowed for the client; always contains `openid`. */
  scopes: string[];
  state: string | null;
  nonce: string | null;
  /** PKCE S256 challenge (RFC 7636 §4.2): required of public clients, optional for confidential ones. */
  codeChallenge: string | null;
  /** `prompt=none`: answer without any page (OIDC Core §3.1.2.1). */
  noPrompt: boolean;
  /** `prompt=login` (or `select_account`): a login within this request, whatever session exists. */
  forceLogin: boolean;
  /** `prompt=consent`: the consent page even when the scopes were granted before. */
  forceConsent: boolean;
  /** `max_age` in seconds: the session's login must be at most this old. */
  maxAge: number | null;
  loginHint: string | null;
  /** `ui_locales`, in order of preference. */
  uiLocales: string[];
  /**
   * `acr_values` asked for `urn:authority:mfa`: a session without a second
   * factor does not do, a login (with the factor step) is needed.
   */
  wantsMfa: boolean;
  /** The provider session started by a login within this request (it satisfies prompt=login and max_age). */
  loginSessionId: string | null;
  /** `id_token_hint`'s subject: the user the client expects to be signed in (OIDC Core §3.1.2.1). */
  hintSubject?: string | null;
}

/** Failures found before the redirect URI can be trusted: an error page, never a redirect (RFC 6749 §4.1.2.1). */
type UntrustedFailure = { kind: "page"; reason: "unknown_client" | "invalid_redirect_uri"; detail: string };

/** An RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6 error for the redirect URI. */
interface RedirectError {
  kind: "redirect";
  redirectUri: string;
  state: string | null;
  error: string;
  description: string;
}

export type Validation = UntrustedFailure | RedirectError | { kind: "valid"; request: AuthorizationRequest };

/** Parameters a request may carry once (RFC 6749 §3.1: "MUST NOT be included more than once"). */
const SINGLE = [
  "client_id",
  "redirect_uri",
  "response_type",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "prompt",
  "max_age",
  "login_hint",
  "ui_locales",
  "response_mode",
  "acr_values",
  "id_token_hint",
] as const;

const PROMPTS = new Set(["none", "login", "consent", "select_account"]);
/** BASE64URL(SHA-256(verifier)). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 6749 §3.3 scope-token: printable ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const MAX = { state: 1024, nonce: 512, scope: 1024, loginHint: 320, uiLocales: 128 } as const;

/**
 * Validates an authorization request's parameters against the client they
 * name. Client and redirect URI first: until both are known good (the URI
 * registered for the client, compared exactly, RFC 9700 §2.1), nothing may
 * redirect. After that every error goes to the redirect URI.
 */
export function validateAuthorizationRequest(params: URLSearchParams, client: OAuthClient | null): Validation {
  const one = (name: string) => {
    const all = params.getAll(name);
    return all.length === 1 ? (all[0] as string) : null;
  };
  const clientId = one("client_id");
  if (!clientId || !client || client.clientId !== clientId) {
    return { kind: "page", reason: "unknown_client", detail: "client_id names no client of this tenant." };
  }
  const redirectUri = one("redirect_uri");
  if (!redirectUri || !isRegisteredRedirectUri(client.redirectUris, redirectUri, client.type === "public")) {
    return {
      kind: "page",
      reason: "invalid_redirect_uri",
      detail:
        "redirect_uri is not registered for this client (exact match; a public client's loopback IP may differ in port).",
    };
  }
  const state = one("state");
  const fail = (error: string, description: string): RedirectError => ({
    kind: "redirect",
    redirectUri,
    state: state !== null && state.length <= MAX.state ? state : null,
    error,
    description,
  });

  const repeated = SINGLE.find((name) => params.getAll(name).length > 1);
  if (repeated) return fail("invalid_request", `${repeated} is given more than once.`);
  // OIDC Core §6: request objects are not supported.
  if (params.has("request")) return fail("request_not_supported", "Request objects are not supported.");
  if (params.has("request_uri")) return fail("request_uri_not_supported", "request_uri is not supported.");
  const responseType = one("response_type");
  if (!responseType) return fail("invalid_request", "response_type is required.");
  if (responseType !== "code") return fail("unsupported_response_type", "Only response_type=code is supported.");
  if (!client.grantTypes.includes("authorization_code")) {
    return fail("unauthorized_client", "This client may not use the authorization code grant.");
  }
  const responseMode = one("response_mode");
  if (responseMode !== null && responseMode !== "query") {
    return fail("invalid_request", "Only response_mode=query is supported.");
  }
  if (state !== null && state.length > MAX.state) {
    return fail("invalid_request", `state must be at most ${MAX.state} characters.`);
  }

  const scopeText = one("scope") ?? "";
  if (scopeText.length > MAX.scope) return fail("invalid_scope", `scope must be at most ${MAX.scope} characters.`);
  const asked = [...new Set(scopeText.split(" ").filter((s) => s !== ""))];
  if (!asked.includes("openid")) return fail("invalid_scope", "scope must contain openid.");
  if (!asked.every((s) => SCOPE_TOKEN.test(s))) return fail("invalid_scope", "scope is malformed.");
  // OIDC Core §3.1.2.1: scopes not understood are ignored; RFC 6749 §3.3: the token response names what was granted.
  const scopes = asked.filter((s) => s === "openid" || client.scopes.includes(s));

  // RFC 7636: PKCE, required of public clients (RFC 9700 §2.1.1); only S256, as plain would let an intercepted code be redeemed.
  const challenge = one("code_challenge");
  const method = one("code_challenge_method");
  if (!challenge && client.type === "public")
    return fail("invalid_request", "code_challenge is required (PKCE, S256).");
  if (challenge || method !== null) {
    if (method !== "S256") return fail("invalid_request", "code_challenge_method must be S256.");
    if (!challenge || !S256_CHALLENGE.test(challenge)) {
      return fail("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters).");
    }
  }

  const prompts = (one("prompt") ?? "").split(" ").filter((p) => p !== "");
  if (prompts.some((p) => !PROMPTS.has(p))) return fail("invalid_request", "prompt has an unknown value.");
  // OIDC Core §3.1.2.1: none with any other value is an error.
  if (prompts.includes("none") && prompts.length > 1) {
    return fail("invalid_request", "prompt=none cannot be combined with other values.");
  }
  const maxAgeText = one("max_age");
  if (maxAgeText !== null && !/^\d{1,10}$/.test(maxAgeText)) {
    return fail("invalid_request", "max_age must be a non-negative number of seconds.");
  }
  const nonce = one("nonce");
  if (nonce !== null && nonce.length > MAX.nonce) {
    return fail("invalid_request", `nonce must be at most ${MAX.nonce} characters.`);
  }
  const acrValues = (one("acr_values") ?? "").split(" ").filter((v) => v !== "");
  const loginHint = one("login_hint");
  const uiLocales = (one("ui_locales") ?? "")
    .slice(0, MAX.uiLocales)
    .split(" ")
    .filter((l) => l !== "");

  return {
    kind: "valid",
    request: {
      clientId,
      redirectUri,
      scopes,
      state,
      nonce,
      codeChallenge: challenge ?? null,
      noPrompt: prompts.includes("none"),
      // max_age=0: no login is recent enough but one made now.
      forceLogin:
        prompts.includes("login") ||
        prompts.includes("select_account") ||
        (maxAgeText !== null && Number(maxAgeText) === 0),
      forceConsent: prompts.includes("consent"),
      // Unknown values are ignored (OIDC Core §3.1.2.1: voluntary claim); the ID token's acr says what was met.
      wantsMfa: acrValues.includes(ACR_MFA),
      maxAge: maxAgeText === null ? null : Number(maxAgeText),
      // A hint only pre-fills the login form; one that is too long is ignored, not an error.
      loginHint: loginHint !== null && loginHint.length <= MAX.loginHint ? loginHint : null,
      uiLocales,
      loginSessionId: null,
    },
  };
}

/** The browser's session at the provider, as the decision needs it. */
export interface SessionFacts {
  sessionId: string;
  userId: string;
  /** Epoch seconds of the login that started it. */
  authTime: number;
  /** RFC 8176 methods of that login. */
  amr: string[];
}

export type NextStep =
  | { kind: "login" }
  | { kind: "consent" }
  | { kind: "issue" }
  | { kind: "error"; error: "login_required" | "consent_required"; description: string };

/**
 * What a valid request needs next, given the browser's provider session (or
 * none), the scopes the user granted the client before (or null), and the
 * time (epoch seconds). A login made within this request satisfies
 * prompt=login, max_age and acr_values, however long ago it now is, but not
 * an id_token_hint naming someone else; when it
 * could not reach the asked acr (a user without a factor), the request goes
 * on and the ID token's `acr` tells the client what was achieved.
 */
export function nextStep(
  request: AuthorizationRequest,
  client: Pick<OAuthClient, "firstParty">,
  session: SessionFacts | null,
  granted: string[] | null,
  nowSeconds: number,
): NextStep {
  const loggedInHere = session !== null && session.sessionId === request.loginSessionId;
  const tooOld = request.maxAge !== null && session !== null && session.authTime < nowSeconds - request.maxAge;
  // `=== true`: requests pending from before acr_values was read lack the field.
  const tooWeak = request.wantsMfa === true && session !== null && !session.amr.includes("mfa");
  // Someone else is signed in than the client expects: a login, or login_required (OIDC Core §3.1.2.1).
  const otherUser = Boolean(request.hintSubject) && session !== null && session.userId !== request.hintSubject;
  if (loggedInHere && otherUser) {
    // OIDC Core §3.1.2.1: the hinted user is neither signed in nor signed in by this request.
    return { kind: "error", error: "login_required", description: "Another user signed in than id_token_hint names." };
  }
  if (!session || (!loggedInHere && (request.forceLogin || tooOld || tooWeak || otherUser))) {
    if (request.noPrompt) {
      return { kind: "error", error: "login_required", description: "The user must sign in (prompt=none)." };
    }
    return { kind: "login" };
  }
  const ungranted = request.scopes.some((scope) => !granted?.includes(scope));
  if (!client.firstParty && (request.forceConsent || ungranted)) {
    if (request.noPrompt) {
      return { kind: "error", error: "consent_required", description: "The user must consent (prompt=none)." };
    }
    return { kind: "consent" };
  }
  return { kind: "issue" };
}
