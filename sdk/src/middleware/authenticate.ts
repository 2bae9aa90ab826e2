/**
 * What the Hono, Express-style and fetch middleware share: reading the
 * Bearer credential (RFC 6750 §2.1, header only), sending `sk_...` to the
 * API-key verifier when one is configured and everything else to the token
 * verifier, checking the required scopes, and choosing the refusal.
 */

import { looksLikeApiKey } from "../api-keys/format.js";
import { type ApiKeyVerifier, type ApiKeyVerifierOptions, createApiKeyVerifier } from "../api-keys/verifier.js";
import type { Verifier, VerifierOptions, WaitUntil } from "../verify/types.js";
import { createVerifier } from "../verify/verifier.js";
import {
  insufficientScope,
  invalidRequest,
  invalidToken,
  misconfigured,
  noCredentials,
  type Refusal,
  unavailable,
} from "./challenge.js";
import { type AuthPrincipal, apiKeyPrincipal, hasScopes, tokenPrincipal } from "./principal.js";

export interface AuthOptions {
  /** Access tokens: a verifier, or the options to create one. */
  tokens?: Verifier | VerifierOptions;
  /** API keys (`Bearer sk_...`): a verifier, or the options to create one. Without it, API keys are refused. */
  apiKeys?: ApiKeyVerifier | ApiKeyVerifierOptions;
  /** The `realm` of the challenges (default: the issuer). */
  realm?: string;
  /** Scopes every request must hold (403 insufficient_scope otherwise). */
  scopes?: readonly string[];
}

type AuthOutcome = { ok: true; principal: AuthPrincipal } | { ok: false; refusal: Refusal };

export interface Authenticator {
  readonly realm: string;
  authenticate(authorization: string | null | undefined, waitUntil?: WaitUntil): Promise<AuthOutcome>;
}

/** RFC 6750 §2.1: `Bearer` (any case, RFC 9110 §11.1), one or more spaces, a b64token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^bearer(?: |$)/i;

/** True when the request presents a Bearer credential at all (well-formed or not); optional auth lets the others through. */
export const presentsBearer = (authorization: string | null | undefined): boolean =>
  !!authorization && SCHEME.test(authorization);

/** The realm each principal was authenticated under, for requireScope's challenge. */
const realms = new WeakMap<AuthPrincipal, string>();
const realmOf = (principal: AuthPrincipal | undefined): string | undefined =>
  principal ? realms.get(principal) : undefined;

/** An already created verifier (it has `verify`), rather than the options to create one. */
const isVerifier = <T extends { verify: unknown }>(value: T | object): value is T =>
  typeof (value as { verify?: unknown }).verify === "function";

export function createAuthenticator(options: AuthOptions): Authenticator {
  const t = options.tokens;
  const tokens = t ? (isVerifier<Verifier>(t) ? t : createVerifier(t as VerifierOptions)) : null;
  const k = options.apiKeys;
  const apiKeys = k ? (isVerifier<ApiKeyVerifier>(k) ? k : createApiKeyVerifier(k as ApiKeyVerifierOptions)) : null;
  if (!tokens && !apiKeys) throw new TypeError("requireAuth needs tokens, apiKeys or both");
  const realm = options.realm ?? tokens?.issuer ?? apiKeys?.issuer ?? "";
  const required = [...(options.scopes ?? [])];

  async function identify(authorization: string | null | undefined, waitUntil?: WaitUntil): Promise<AuthOutcome> {
    if (!authorization || !SCHEME.test(authorization)) return { ok: false, refusal: noCredentials(realm) };
    const credential = BEARER.exec(authorization)?.[1];
    if (!credential) {
      return {
        ok: false,
        refusal: invalidRequest(realm, "The Authorization header is not a valid Bearer credential."),
      };
    }
    if (apiKeys && looksLikeApiKey(credential)) {
      const result = await apiKeys.verify(credential);
      if (result.ok) return { ok: true, principal: apiKeyPrincipal(result.key) };
      if (result.error === "configuration_error") return { ok: false, refusal: misconfigured(result.reason) };
      return {
        ok: false,
        refusal:
          result.error === "temporarily_unavailable"
            ? unavailable(result.description)
            : invalidToken(realm, result.description),
      };
    }
    if (!tokens) return { ok: false, refusal: invalidToken(realm, "Only API keys are accepted here.") };
    const result = await tokens.verify(credential, waitUntil ? { waitUntil } : undefined);
    if (result.ok) return { ok: true, principal: tokenPrincipal(result.claims) };
    if (result.error === "configuration_error") return { ok: false, refusal: misconfigured(result.reason) };
    if (result.error === "temporarily_unavailable") return { ok: false, refusal: unavailable(result.description) };
    // The authority's own code for a revoked token (README, "Errors"); the challenge still says invalid_token.
    return {
      ok: false,
      refusal: invalidToken(realm, result.description, result.reason === "revoked" ? "token_revoked" : "invalid_token"),
    };
  }

  return {
    realm,
    async authenticate(authorization, waitUntil) {
      const outcome = await identify(authorization, waitUntil);
      if (!outcome.ok) return outcome;
      realms.set(outcome.principal, realm);
      const missing = scopeRefusal(outcome.principal, required);
      return missing ? { ok: false, refusal: missing } : outcome;
    },
  };
}

/** requireScope's check: 401 when nobody was authenticated, 403 naming the scopes when some are missing. */
export function scopeRefusal(
  principal: AuthPrincipal | undefined,
  scopes: readonly string[],
  realm?: string,
): Refusal | null {
  const chosen = realm ?? realmOf(principal) ?? "";
  if (!principal) return noCredentials(chosen);
  return scopes.length === 0 || hasScopes(principal, scopes) ? null : insufficientScope(chosen, scopes);
}
