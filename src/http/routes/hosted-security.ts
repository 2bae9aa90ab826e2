import type { Context } from "hono";
import { Hono } from "hono";
import { AppError, errors } from "../../core/errors.js";
import { STEP_UP_WINDOW_MS, type StepUpPurpose } from "../../core/mfa/step-up.js";
import { ipBucket } from "../../core/net/ip.js";
import type { UserRecord } from "../../core/ports/database.js";
import type { AppEnv } from "../context.js";
import { readForm } from "../pages/forms.js";
import { errorMessage, MessagePage } from "../pages/message-page.js";
import { pageContext, sendPage } from "../pages/page.js";
import { RecoveryCodesPage, SECURITY_PATH, SecurityPage, StepUpPage, TotpSetupPage } from "../pages/security-pages.js";
import { currentSession, type SignedIn } from "../pages/sso.js";
import { UUID_PATTERN } from "../schemas.js";

/**
 * `/t/{tenant}/account/security`: the signed-in browser user's second
 * factors (issue 20) on hosted pages, through the same MfaService as the
 * JSON routes. Every change is a CSRF-checked POST; without a provider
 * session the pages only say to sign in first (the login page takes no
 * return target). Passkeys are added and renamed in hosted-security-passkeys.ts.
 */

const PATH = `/t/:tenant${SECURITY_PATH}`;
/** Throttled or locked: the confirm form again, with the wait. */
const THROTTLED = new Set(["rate_limited", "account_locked"]);

async function signInFirst(c: Context<AppEnv>) {
  const page = await pageContext(c);
  const s = page.strings.security;
  const link = { href: `${page.base}/login`, text: s.signIn };
  return sendPage(c, page, MessagePage({ page, title: s.title, kind: "info", message: s.signInFirst, link }));
}

/** Runs `then` for the signed-in user, or answers the sign-in-first page. */
export async function withSession(c: Context<AppEnv>, then: (signedIn: SignedIn) => Promise<Response>) {
  const current = await currentSession(c);
  return current ? then(current) : signInFirst(c);
}

/** The security page, with a notice of what was just done or what went wrong (and that status). */
export async function securityPage(
  c: Context<AppEnv>,
  user: UserRecord,
  options: { notice?: string; problem?: string; status?: number } = {},
) {
  const { mfa, accounts } = c.get("services");
  const [factors, left, email, page] = await Promise.all([
    mfa.list(c.get("tenant"), user.id),
    mfa.recoveryCodesLeft(c.get("tenant"), user.id),
    accounts.address(user),
    pageContext(c),
  ]);
  const { notice, problem, status } = options;
  const body = SecurityPage({ page, email, factors, recoveryCodesLeft: left, notice, problem });
  // The script only adds the passkey form.
  return sendPage(c, page, body, { status, script: "passkey" });
}

/** StepUp.require for a browser's provider session, as for an access token's claims. */
export function requireSessionStepUp(
  c: Context<AppEnv>,
  { user, session }: SignedIn,
  purpose: StepUpPurpose = "change",
): Promise<void> {
  const login = { amr: session.amr, auth_time: Math.floor(session.authTime.getTime() / 1000) };
  return c.get("services").stepUp.require(c.get("tenant"), user, login, purpose);
}

/**
 * The JSON routes' step-up rule read off the provider session (a second
 * factor within the last 5 minutes when the user has one, the tenant's MFA
 * policy met when it binds a user without one): null when met, else the
 * page that says to sign in again (403).
 */
export async function stepUpRefusal(
  c: Context<AppEnv>,
  signedIn: SignedIn,
  purpose: StepUpPurpose = "change",
): Promise<Response | null> {
  try {
    await requireSessionStepUp(c, signedIn, purpose);
    return null;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "step_up_required") throw error;
    const page = await pageContext(c);
    return sendPage(c, page, StepUpPage({ page, minutes: STEP_UP_WINDOW_MS / 60_000 }), { status: 403 });
  }
}

/** A factor's id from the form: a UUID, or no such factor (404 page). */
export function factorId(value: string | undefined): string {
  if (!value || !UUID_PATTERN.test(value)) throw errors.notFound("No such factor.");
  return value.toLowerCase();
}

export const hostedSecurityRoutes = new Hono<AppEnv>()
  .get(PATH, (c) => withSession(c, ({ user }) => securityPage(c, user)))
  .post(`${PATH}/totp`, async (c) => {
    await readForm(c);
    return withSession(c, async (signedIn) => {
      const { user } = signedIn;
      const refused = await stepUpRefusal(c, signedIn, "new_factor");
      if (refused) return refused;
      const enrollment = await c.get("services").mfa.enrollTotp(c.get("tenant"), user);
      const page = await pageContext(c);
      const setup = { secret: enrollment.secret, qrSvg: enrollment.qrSvg };
      return sendPage(c, page, TotpSetupPage({ page, id: enrollment.id, setup }));
    });
  })
  .post(`${PATH}/totp/confirm`, async (c) => {
    const form = await readForm(c);
    return withSession(c, async ({ user }) => {
      const { mfa, clientIp } = c.get("services");
      const id = factorId(form.id);
      const code = (form.code ?? "").slice(0, 64);
      let recoveryCodes: string[] | null;
      try {
        ({ recoveryCodes } = await mfa.confirmTotp(c.get("tenant"), user.id, id, code, ipBucket(clientIp(c))));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const page = await pageContext(c);
        const again = (problems: { problem?: string; codeProblem?: string }, status: number, headers = {}) =>
          sendPage(c, page, TotpSetupPage({ page, id, ...problems }), { status, headers });
        if (error.code === "invalid_mfa_code") return again({ codeProblem: page.strings.security.wrongCode }, 400);
        if (THROTTLED.has(error.code))
          return again({ problem: errorMessage(page.strings, error) }, error.status, error.headers);
        throw error;
      }
      const page = await pageContext(c);
      const s = page.strings.security;
      if (recoveryCodes)
        return sendPage(c, page, RecoveryCodesPage({ page, codes: recoveryCodes, intro: s.codesIntro }));
      return securityPage(c, user, { notice: s.added });
    });
  })
  .post(`${PATH}/factors/remove`, async (c) => {
    const form = await readForm(c);
    return withSession(c, async (signedIn) => {
      const { user } = signedIn;
      const id = factorId(form.id);
      const refused = await stepUpRefusal(c, signedIn);
      if (refused) return refused;
      await c.get("services").mfa.removeFactor(c.get("tenant"), user.id, id);
      return securityPage(c, user, { notice: (await pageContext(c)).strings.security.removed });
    });
  });
