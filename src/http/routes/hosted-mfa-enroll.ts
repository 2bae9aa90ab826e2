import type { Context } from "hono";
import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import type { SecondStep } from "../../core/mfa/mfa-login.js";
import { ipBucket } from "../../core/net/ip.js";
import type { AppEnv } from "../context.js";
import { browserBinding } from "../pages/browser.js";
import { readForm } from "../pages/forms.js";
import { errorMessage } from "../pages/message-page.js";
import { ENROLL_PATH, MfaEnrolledPage, MfaEnrollPage } from "../pages/mfa-enroll-pages.js";
import { pageContext, sendPage } from "../pages/page.js";
import { startProviderSession } from "../pages/sso.js";
import { type Pending, pendingOf, proceed, recordLogin, requestLanguage } from "./authorize-flow.js";
import { signedIn } from "./hosted-login.js";
import { startAgain } from "./hosted-mfa.js";

/**
 * `/t/{tenant}/login/mfa/enroll`: the hosted login of a user the tenant's
 * MFA policy binds who has no factor yet (issue 20). No provider session
 * until an authenticator app is set up: the page shows a new key, its first
 * code confirms it through the JSON routes' path (MfaLogins, the same
 * challenge, throttle and checks), then the recovery codes are shown once
 * and Continue takes the pending request on.
 */

const PATH = `/t/:tenant${ENROLL_PATH}`;
/** Throttled or locked: the form again, with the wait (and Retry-After). */
const THROTTLED = new Set(["rate_limited", "account_locked"]);

async function enrollPage(
  c: Context<AppEnv>,
  pending: Pending | null,
  challenge: string,
  options: {
    setup?: { secret: string; qrSvg: string };
    problem?: string;
    codeProblem?: string;
    status?: number;
    headers?: Record<string, string>;
  },
) {
  const page = await pageContext(c, requestLanguage(pending));
  const body = MfaEnrollPage({ page, requestId: pending?.id ?? null, challenge, ...options });
  return sendPage(c, page, body, {
    status: options.status,
    headers: options.headers,
    formTargets: pending ? [pending.request.redirectUri] : [],
  });
}

/** The challenge is gone, or was not an enrollment's: its reference goes, and the password again. */
async function dropAndStartAgain(c: Context<AppEnv>, pending: Pending | null, challenge: string) {
  await c.get("services").browserMfaChallenges.drop(c.get("tenant"), challenge);
  return startAgain(c, pending);
}

const ENDS_CHALLENGE = new Set(["invalid_mfa_token", "mfa_enrollment_not_allowed"]);

export const hostedMfaEnrollRoutes = new Hono<AppEnv>()
  .get(PATH, async (c) => {
    const pending = await pendingOf(c, c.req.query("request"));
    const { browserMfaChallenges, mfaLogins } = c.get("services");
    const challenge = c.req.query("challenge") ?? "";
    const held = await browserMfaChallenges.find(c.get("tenant"), challenge, await browserBinding(c));
    if (!held) return startAgain(c, pending);
    try {
      // Each visit starts a new key (replacing one not confirmed): the page is the only place it is shown.
      const enrollment = await mfaLogins.enrollTotp(c.get("tenant"), held.mfaToken);
      return enrollPage(c, pending, challenge, { setup: { secret: enrollment.secret, qrSvg: enrollment.qrSvg } });
    } catch (error) {
      if (error instanceof AppError && ENDS_CHALLENGE.has(error.code)) return dropAndStartAgain(c, pending, challenge);
      throw error;
    }
  })
  .post(PATH, async (c) => {
    const form = await readForm(c);
    const pending = await pendingOf(c, form.request);
    const { browserMfaChallenges, mfaLogins, clientIp } = c.get("services");
    const tenant = c.get("tenant");
    const challenge = form.challenge ?? "";
    const held = await browserMfaChallenges.find(tenant, challenge, await browserBinding(c));
    if (!held) return startAgain(c, pending);
    const code = (form.code ?? "").trim().slice(0, 64);
    let done: SecondStep;
    try {
      done = await mfaLogins.verifyCode(tenant, held.mfaToken, "totp", code, ipBucket(clientIp(c)));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (ENDS_CHALLENGE.has(error.code)) return dropAndStartAgain(c, pending, challenge);
      const { strings } = await pageContext(c, requestLanguage(pending));
      if (error.code === "invalid_mfa_code") {
        return enrollPage(c, pending, challenge, { codeProblem: strings.security.wrongCode, status: 400 });
      }
      // No key started (or replaced by another sign-in's): a new one.
      if (error.code === "no_second_factor") {
        const again = new URLSearchParams({ ...(pending ? { request: pending.id } : {}), challenge });
        return c.redirect(`/t/${tenant.slug}${ENROLL_PATH}?${again}`, 303);
      }
      if (!THROTTLED.has(error.code)) throw error;
      const problem = errorMessage(strings, error);
      return enrollPage(c, pending, challenge, { problem, status: error.status, headers: error.headers });
    }
    await browserMfaChallenges.drop(tenant, challenge);
    const session = await startProviderSession(c, done.user, done.method);
    if (!done.recoveryCodes) return signedIn(c, pending, session.id);
    // The login is done and recorded; the codes page's Continue moves the request on.
    const recorded = pending && (await recordLogin(c, pending, session.id));
    const page = await pageContext(c, requestLanguage(pending));
    const body = MfaEnrolledPage({ page, requestId: recorded?.id ?? null, codes: done.recoveryCodes });
    return sendPage(c, page, body, { formTargets: recorded ? [recorded.request.redirectUri] : [] });
  })
  .post(`${PATH}/continue`, async (c) => {
    const form = await readForm(c);
    const pending = await pendingOf(c, form.request);
    if (pending) return proceed(c, pending, 303);
    return c.redirect(`/t/${c.get("tenant").slug}/login`, 303);
  });
