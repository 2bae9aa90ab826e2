import type { Context } from "hono";
import { type AppError, errors } from "../../core/errors.js";
import { fallsShortOfMfaPolicy } from "../../core/mfa/policy.js";
import { isRegisteredRedirectUri, withParams } from "../../core/net/redirect-uri.js";
import { type AuthorizationRequest, type NextStep, nextStep } from "../../core/oidc/authorization.js";
import type { OAuthClient } from "../../core/oidc/client-types.js";
import { errorParams } from "../../core/oidc/oauth-error.js";
import { scopeOf } from "../../core/sessions/user-claims.js";
import type { AppEnv } from "../context.js";
import { browserBinding } from "../pages/browser.js";
import { type PageCatalogue, pageLanguage } from "../pages/catalogue.js";
import { currentSession, type SignedIn } from "../pages/sso.js";

/**
 * The hosted authorization flow once a request is valid and pending:
 * login page, consent page, then the code (or an error) at the client's
 * redirect URI. Every hosted page that moves a request on ends here.
 */

/** A pending authorization request and its opaque id (the `request` hidden input). */
export interface Pending {
  id: string;
  request: AuthorizationRequest;
  /** Taken out of the store by this submit (claimPending): it alone may turn it into a session or a code. */
  claimed?: boolean;
}

type RedirectStatus = 302 | 303;

/**
 * The pending request a page names (`request`), bound to this browser. When
 * it is gone: 409 `request_completed` if this browser had it answered a moment
 * ago (a second click, Back), else 400 `expired_request`; either with the
 * client's origin as the page's way back when it is known.
 */
export async function pendingOf(c: Context<AppEnv>, id: string | undefined): Promise<Pending | null> {
  if (id === undefined || id === "") return null;
  const { pendingAuthorizations } = c.get("services");
  const browser = await browserBinding(c);
  const request = await pendingAuthorizations.find(c.get("tenant"), id, browser);
  if (request) return { id, request };
  throw await goneError(c, id, browser);
}

/** Why a request this browser names is no longer pending, as the error its page shows. */
async function goneError(c: Context<AppEnv>, id: string, browser: string): Promise<AppError> {
  const trail = await c.get("services").pendingAuthorizations.trail(c.get("tenant"), id, browser);
  return trail?.finished
    ? errors.requestCompleted(trail.home)
    : errors.expiredRequest("The authorization request is unknown or expired.", trail?.home ?? null);
}

/**
 * Takes the request for this submit alone, once its password or consent is
 * in and before a session or code is made of it: a concurrent submit of the
 * same request finds it taken (409 `request_completed`). A failure after the
 * claim (a store down) does not put it back: a request is answered at most
 * once, and starting again from the application is cheap.
 */
export async function claimPending(c: Context<AppEnv>, pending: Pending): Promise<Pending> {
  if (pending.claimed) return pending;
  const { pendingAuthorizations } = c.get("services");
  const request = await pendingAuthorizations.claim(c.get("tenant"), pending.id, await browserBinding(c));
  if (request) return { id: pending.id, request, claimed: true };
  const trail = await pendingAuthorizations.trail(c.get("tenant"), pending.id, null);
  throw errors.requestCompleted(trail?.home ?? null);
}

/** Ends a pending request once the client has its answer; the trail tells a second submit so. */
async function finish(c: Context<AppEnv>, pending: Pending): Promise<void> {
  await c
    .get("services")
    .pendingAuthorizations.finish(c.get("tenant"), pending.id, pending.request, await browserBinding(c));
}

/** The page language a request asked for (`ui_locales`), when there is a catalogue for it. */
export const requestLanguage = (pending: Pending | null): PageCatalogue | null =>
  pending ? pageLanguage(pending.request.uiLocales) : null;

/** An authorization response at the client's redirect URI; RFC 9207: every one names its issuer. */
export function toClient(
  c: Context<AppEnv>,
  request: Pick<AuthorizationRequest, "redirectUri" | "state">,
  params: Record<string, string>,
  status: RedirectStatus,
): Response {
  const iss = c.get("services").tokens.issuer(c.get("tenant"));
  c.header("Cache-Control", "no-store");
  return c.redirect(withParams(request.redirectUri, { ...params, state: request.state, iss }), status);
}

/** An RFC 6749 §4.1.2.1 error at the client's redirect URI; the request is over. */
export async function refuse(
  c: Context<AppEnv>,
  pending: Pending,
  error: string,
  description: string,
  status: RedirectStatus,
): Promise<Response> {
  await finish(c, pending);
  return toClient(c, pending.request, errorParams(error, description), status);
}

/** The request's client, still registered with the request's redirect URI (it may have changed since). */
async function clientOf(c: Context<AppEnv>, pending: Pending): Promise<OAuthClient> {
  const client = await c.get("services").clients.find(c.get("tenant"), pending.request.clientId);
  if (!client || !isRegisteredRedirectUri(client.redirectUris, pending.request.redirectUri, client.type === "public")) {
    await c.get("services").pendingAuthorizations.drop(c.get("tenant"), pending.id);
    throw errors.validationCode("invalid_client", "The client or its redirect URI is no longer registered.");
  }
  return client;
}

/** Issues the code (H2's AuthorizationCodes) and sends the browser back to the client with it. */
export async function issueCode(
  c: Context<AppEnv>,
  pending: Pending,
  signedIn: SignedIn,
  status: RedirectStatus,
): Promise<Response> {
  const { request } = await claimPending(c, pending);
  const { session } = signedIn;
  const code = await c.get("services").authorizationCodes.issue(c.get("tenant"), {
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    userId: signedIn.user.id,
    providerSessionId: session.id,
    scope: request.scopes.join(" "),
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    authTime: Math.floor(session.authTime.getTime() / 1000),
    amr: session.amr,
  });
  await finish(c, pending);
  return toClient(c, request, { code }, status);
}

/** What a pending request needs next in this browser, with the client and the signed-in user it was decided on. */
export async function decide(
  c: Context<AppEnv>,
  pending: Pending,
): Promise<{ step: NextStep; client: OAuthClient; signedIn: SignedIn | null }> {
  const { consents, clock } = c.get("services");
  const client = await clientOf(c, pending);
  const signedIn = await currentSession(c);
  const granted =
    signedIn && !client.firstParty ? await consents.granted(c.get("tenant"), signedIn.user.id, client.clientId) : null;
  const facts = signedIn && {
    sessionId: signedIn.session.id,
    userId: signedIn.user.id,
    authTime: Math.floor(signedIn.session.authTime.getTime() / 1000),
    amr: signedIn.session.amr,
  };
  // A browser session that falls short of the tenant's MFA policy is asked for a login, as acr_values=mfa asks.
  const shortOfPolicy =
    signedIn !== null && fallsShortOfMfaPolicy(c.get("tenant"), signedIn.session.amr, scopeOf(signedIn.user));
  const request = shortOfPolicy ? { ...pending.request, wantsMfa: true } : pending.request;
  const step = nextStep(request, client, facts, granted, Math.floor(clock.now().getTime() / 1000));
  return { step, client, signedIn };
}

/** Moves a pending request on: to the login page, the consent page, or back to the client. */
export async function proceed(c: Context<AppEnv>, pending: Pending, status: RedirectStatus): Promise<Response> {
  const { step, signedIn } = await decide(c, pending);
  const base = `/t/${c.get("tenant").slug}`;
  // A request claimed for a login that is not answered yet waits again (with the login recorded).
  if (pending.claimed && (step.kind === "login" || step.kind === "consent")) {
    await c
      .get("services")
      .pendingAuthorizations.restore(c.get("tenant"), pending.id, pending.request, await browserBinding(c));
  }
  switch (step.kind) {
    case "login":
      return c.redirect(`${base}/login?request=${pending.id}`, status);
    case "consent":
      return c.redirect(`${base}/consent?request=${pending.id}`, status);
    case "error":
      return refuse(c, pending, step.error, step.description, status);
    case "issue":
      return issueCode(c, pending, signedIn as SignedIn, status);
  }
}

/** The request remembers a login made within it, so prompt=login and max_age are met when it moves on. */
export async function recordLogin(c: Context<AppEnv>, pending: Pending, sessionId: string): Promise<Pending> {
  const request = { ...pending.request, loginSessionId: sessionId };
  // A claimed request is written back by `proceed` when it goes on; an unclaimed one only while it is still there.
  if (pending.claimed) return { ...pending, request };
  const { pendingAuthorizations } = c.get("services");
  const browser = await browserBinding(c);
  if (await pendingAuthorizations.update(c.get("tenant"), pending.id, request, browser))
    return { id: pending.id, request };
  throw await goneError(c, pending.id, browser);
}

/** After a login within a request: the request remembers it, then moves on. */
export async function afterLogin(
  c: Context<AppEnv>,
  pending: Pending,
  sessionId: string,
  status: RedirectStatus,
): Promise<Response> {
  return proceed(c, await recordLogin(c, pending, sessionId), status);
}
