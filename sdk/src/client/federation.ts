/**
 * Federated login (OAuth/OIDC providers and SAML connections) is a browser
 * redirect: these build the URLs to send the browser to, with `state` and a
 * PKCE S256 challenge, and read the redirect back to the app.
 */
import { createPkce, generateState } from "./pkce.js";

export interface AuthorizeParams {
  /** Exactly one of the tenant's redirect allowlist. */
  redirect_uri: string;
  state?: string;
  /** PKCE S256 challenge of the app (see `createPkce`). */
  code_challenge?: string;
  /** Defaults to `S256` when a challenge is given. */
  code_challenge_method?: "S256";
}

/** What the app must keep (e.g. in sessionStorage) until the browser comes back. */
export interface PendingLogin {
  /** Where to send the browser. */
  url: string;
  state: string;
  codeVerifier: string;
}

export interface StartLoginInput {
  redirect_uri: string;
  /** Defaults to a fresh random state. */
  state?: string;
}

/** The query of the redirect back to the app: a one-time `code`, or an `error`. */
export interface CallbackParams {
  code: string | undefined;
  state: string | undefined;
  error: string | undefined;
  errorDescription: string | undefined;
}

const NAME = /^[a-z0-9-]{1,63}$/;

export function checkName(kind: string, name: string): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(`${kind} must be 1 to 63 characters of a-z, 0-9 and -`);
  }
  return name;
}

export function authorizeQuery(params: AuthorizeParams): Record<string, string | undefined> {
  if (typeof params?.redirect_uri !== "string" || params.redirect_uri === "") {
    throw new TypeError("redirect_uri is required");
  }
  return {
    redirect_uri: params.redirect_uri,
    state: params.state,
    code_challenge: params.code_challenge,
    code_challenge_method: params.code_challenge === undefined ? undefined : (params.code_challenge_method ?? "S256"),
  };
}

/** A login redirect with a fresh PKCE pair and state; `build` makes the URL from the query. */
export async function startLogin(
  input: StartLoginInput,
  build: (params: AuthorizeParams) => string,
): Promise<PendingLogin> {
  const pkce = await createPkce();
  const state = input.state ?? generateState();
  const url = build({
    redirect_uri: input.redirect_uri,
    state,
    code_challenge: pkce.codeChallenge,
    code_challenge_method: "S256",
  });
  return { url, state, codeVerifier: pkce.codeVerifier };
}

/** Reads the redirect back to the app (`https://app.example/cb?code=...&state=...`). */
export function parseCallback(url: string | URL): CallbackParams {
  const params = new URL(url).searchParams;
  const get = (name: string) => params.get(name) ?? undefined;
  return {
    code: get("code"),
    state: get("state"),
    error: get("error"),
    errorDescription: get("error_description"),
  };
}
