import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { SessionRecord, UserRecord } from "../../core/ports/database.js";
import type { LoginMethod } from "../../core/sessions/sessions.js";
import type { AppEnv } from "../context.js";
import { identifyRequest } from "../request-scope.js";

/**
 * The provider session's cookie, one per tenant. Lax, not Strict: the
 * authorization request arrives as a top-level cross-site GET, and SSO must
 * see the cookie there. HttpOnly; `__Host-` makes it Secure, Path=/, host-only.
 */
const cookieName = (c: Context<AppEnv>) => `__Host-sso-${c.get("tenant").slug}`;
const OPTIONS = { path: "/", secure: true, httpOnly: true, sameSite: "Lax" } as const;

export type SignedIn = { user: UserRecord; session: SessionRecord };

/** Sessions started while answering a request: its cookie is only on the way out, yet the flow goes on with it. */
const startedNow = new WeakMap<Request, SignedIn>();

/** The browser's live provider session at this tenant (the one started by this request, if any), or null. */
export async function currentSession(c: Context<AppEnv>): Promise<SignedIn | null> {
  const started = startedNow.get(c.req.raw);
  if (started) return started;
  return c.get("services").providerSessions.resolve(c.get("tenant"), getCookie(c, cookieName(c)));
}

/**
 * After a login: a new provider session and its cookie. A session the
 * browser had before ends: with its client sessions when it was another
 * user's (one browser, one signed-in user at a time); a fresh login by the
 * same user hands those over instead, so the user's other apps stay signed in.
 */
export async function startProviderSession(
  c: Context<AppEnv>,
  user: UserRecord,
  method: LoginMethod,
): Promise<SessionRecord> {
  const { providerSessions, clientIp, clock } = c.get("services");
  const previous = await currentSession(c);
  const { session, cookie } = await providerSessions.start(c.get("tenant"), user, method, {
    userAgent: c.req.header("user-agent") ?? null,
    ip: clientIp(c),
  });
  if (previous?.user.id === user.id) await providerSessions.replace(c.get("tenant"), previous.session.id, session.id);
  else if (previous) await providerSessions.end(c.get("tenant"), previous.session.id);
  const maxAge = Math.floor((session.absoluteExpiresAt.getTime() - clock.now().getTime()) / 1000);
  setCookie(c, cookieName(c), cookie, { ...OPTIONS, maxAge });
  startedNow.set(c.req.raw, { user, session });
  identifyRequest(c.get("scope"), user.id, session.id);
  return session;
}

export function clearProviderCookie(c: Context<AppEnv>): void {
  deleteCookie(c, cookieName(c), OPTIONS);
}
