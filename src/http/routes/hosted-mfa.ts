import type { Context } from "hono";
import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import type { HeldChallenge } from "../../core/mfa/browser-challenges.js";
import { ipBucket } from "../../core/net/ip.js";
import type { AppEnv } from "../context.js";
import { browserBinding } from "../pages/browser.js";
import { readForm } from "../pages/forms.js";
import { errorMessage } from "../pages/message-page.js";
import { ENROLL_PATH } from "../pages/mfa-enroll-pages.js";
import { type CodeKind, MfaPage } from "../pages/mfa-page.js";
import { pageContext, sendPage } from "../pages/page.js";
import { startProviderSession } from "../pages/sso.js";
import { type Pending, pendingOf, requestLanguage } from "./authorize-flow.js";
import { loginPage, signedIn } from "./hosted-login.js";

/**
 * `/t/{tenant}/login/mfa`: the hosted login's second step (issue 20). The
 * password form leaves the challenge server-side and sends the browser here
 * with its reference; the first right code starts the provider session (amr
 * with `mfa`) and the pending request goes on as after a password login. A
 * passkey does the same through hosted-mfa-passkey.ts.
 */

/** The code form asked for: a recovery code when asked or when there is no authenticator app to take a code from. */
const kindOf = (value: string | undefined, held: HeldChallenge): CodeKind =>
  value === "recovery_code" || !held.factors.includes("totp") ? "recovery_code" : "totp";
/** Throttled or locked: the form again, with the wait (and Retry-After). */
const THROTTLED = new Set(["rate_limited", "account_locked"]);

/** The second step's page for the held challenge `challenge`, with what went wrong last time. */
export async function mfaPage(
  c: Context<AppEnv>,
  pending: Pending | null,
  challenge: string,
  held: HeldChallenge,
  options: {
    kind?: CodeKind;
    problem?: string;
    codeProblem?: string;
    status?: number;
    headers?: Record<string, string>;
  } = {},
) {
  const page = await pageContext(c, requestLanguage(pending));
  const { factors } = held;
  const kind = options.kind ?? kindOf(undefined, held);
  const { problem, codeProblem } = options;
  const body = MfaPage({ page, requestId: pending?.id ?? null, challenge, factors, kind, problem, codeProblem });
  return sendPage(c, page, body, {
    status: options.status,
    headers: options.headers,
    formTargets: pending ? [pending.request.redirectUri] : [],
    script: factors.includes("passkey") ? "passkey" : "forms",
  });
}

/** A challenge to set a factor up (its user has none), opened here by hand: its own page, the same reference. */
function toEnrollment(c: Context<AppEnv>, pending: Pending | null, challenge: string) {
  const query = new URLSearchParams({ ...(pending ? { request: pending.id } : {}), challenge });
  return c.redirect(`/t/${c.get("tenant").slug}${ENROLL_PATH}?${query}`, 303);
}

/** The challenge is gone (spent, expired, out of attempts, another browser's): the password again. */
export async function startAgain(c: Context<AppEnv>, pending: Pending | null) {
  const { strings } = await pageContext(c, requestLanguage(pending));
  return loginPage(c, pending, { problems: { message: strings.mfa.startAgain }, status: 400 });
}

export const hostedMfaRoutes = new Hono<AppEnv>()
  .get("/t/:tenant/login/mfa", async (c) => {
    const pending = await pendingOf(c, c.req.query("request"));
    const challenge = c.req.query("challenge") ?? "";
    const held = await c.get("services").browserMfaChallenges.find(c.get("tenant"), challenge, await browserBinding(c));
    if (!held) return startAgain(c, pending);
    if (held.factors.length === 0) return toEnrollment(c, pending, challenge);
    return mfaPage(c, pending, challenge, held, { kind: kindOf(c.req.query("kind"), held) });
  })
  .post("/t/:tenant/login/mfa", async (c) => {
    const form = await readForm(c);
    const pending = await pendingOf(c, form.request);
    const { browserMfaChallenges, mfaLogins, clientIp } = c.get("services");
    const tenant = c.get("tenant");
    const challenge = form.challenge ?? "";
    const held = await browserMfaChallenges.find(tenant, challenge, await browserBinding(c));
    if (!held) return startAgain(c, pending);
    if (held.factors.length === 0) return toEnrollment(c, pending, challenge);
    const kind = form.type === "recovery_code" ? "recovery_code" : "totp";
    const code = (form.code ?? "").trim().slice(0, 64);
    let verified: Awaited<ReturnType<typeof mfaLogins.verifyCode>>;
    try {
      // The JSON route's path: the same challenge, throttle and replay checks.
      verified = await mfaLogins.verifyCode(tenant, held.mfaToken, kind, code, ipBucket(clientIp(c)));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === "invalid_mfa_token") {
        await browserMfaChallenges.drop(tenant, challenge);
        return startAgain(c, pending);
      }
      const { strings } = await pageContext(c, requestLanguage(pending));
      if (error.code === "invalid_mfa_code") {
        return mfaPage(c, pending, challenge, held, { kind, codeProblem: strings.mfa.wrongCode, status: 400 });
      }
      if (!THROTTLED.has(error.code)) throw error;
      const problem = errorMessage(strings, error);
      return mfaPage(c, pending, challenge, held, { kind, problem, status: error.status, headers: error.headers });
    }
    await browserMfaChallenges.drop(tenant, challenge);
    const session = await startProviderSession(c, verified.user, verified.method);
    return signedIn(c, pending, session.id);
  });
