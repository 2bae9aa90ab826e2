import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { ipBucket } from "../../core/net/ip.js";
import type { UserRecord } from "../../core/ports/database.js";
import type { LoginMethod } from "../../core/sessions/session-types.js";
import { inBackground } from "../background.js";
import type { AppEnv } from "../context.js";
import {
  type FederatedOption,
  type FormProblems,
  LoginPage,
  SignedInPage,
  SignupPage,
} from "../pages/account-pages.js";
import { browserBinding } from "../pages/browser.js";
import { fieldProblems, parseFields, readForm } from "../pages/forms.js";
import { errorMessage } from "../pages/message-page.js";
import { pageContext, sendPage } from "../pages/page.js";
import { currentSession, startProviderSession } from "../pages/sso.js";
import { email, password, singleLine } from "../schemas.js";
import { afterLogin, claimPending, type Pending, pendingOf, requestLanguage } from "./authorize-flow.js";

/** `/t/{tenant}/login` and `/t/{tenant}/signup`: the password forms of the hosted flow (the JSON routes stay). */

const PASSWORD_LOGIN: LoginMethod = { authMethod: "password", amr: ["pwd"] };
const LoginFields = z.object({ email, password });
const SignupFields = z.object({
  email,
  password,
  name: singleLine().trim().max(200, "must be at most 200 characters").optional(),
});

/** Names shown on the upstream buttons: the known providers' own spelling, others capitalised. */
const KNOWN_NAMES: Record<string, string> = { github: "GitHub", gitlab: "GitLab" };
const label = (name: string) => KNOWN_NAMES[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
const UPSTREAMS_SHOWN = 20;

/** The tenant's enabled OAuth providers and SAML connections, as links into the hosted federated login. */
async function federatedOptions(c: Context<AppEnv>, pending: Pending | null): Promise<FederatedOption[]> {
  const { federation, saml } = c.get("services");
  const [providers, connections] = await Promise.all([
    federation.list(c.get("tenant"), null, UPSTREAMS_SHOWN),
    saml.list(c.get("tenant"), null, UPSTREAMS_SHOWN),
  ]);
  const query = pending ? `?request=${pending.id}` : "";
  const base = `/t/${c.get("tenant").slug}/login/federated`;
  return [
    ...providers
      .filter((p) => p.enabled)
      .map((p) => ({ label: label(p.name), href: `${base}/oauth/${p.name}${query}` })),
    ...connections
      .filter((s) => s.enabled)
      .map((s) => ({ label: label(s.name), href: `${base}/saml/${s.name}${query}` })),
  ];
}

/** Where a submitted form may redirect to: the client's redirect URI (CSP form-action). */
const targetsOf = (pending: Pending | null) => (pending ? [pending.request.redirectUri] : []);

/** The login form, for a pending request or none, with what went wrong last time. */
export async function loginPage(
  c: Context<AppEnv>,
  pending: Pending | null,
  options: { email?: string; problems?: FormProblems; status?: number; headers?: Record<string, string> } = {},
) {
  const page = await pageContext(c, requestLanguage(pending));
  const body = LoginPage({
    page,
    requestId: pending?.id ?? null,
    email: options.email ?? pending?.request.loginHint ?? undefined,
    problems: options.problems,
    federated: await federatedOptions(c, pending),
  });
  return sendPage(c, page, body, {
    status: options.status,
    headers: options.headers,
    formTargets: targetsOf(pending),
    script: "passkey",
  });
}

/** After a login: a provider session, then the pending request goes on (or the signed-in page). */
export async function signedIn(
  c: Context<AppEnv>,
  pending: Pending | null,
  sessionId: string,
  status: 302 | 303 = 303,
): Promise<Response> {
  if (pending) return afterLogin(c, pending, sessionId, status);
  return c.redirect(`/t/${c.get("tenant").slug}/login`, status);
}

/**
 * After a first step (the password, a signup, an upstream login): a user with
 * a second factor goes to /login/mfa, one the tenant's policy wants to have a
 * factor (and who has none) to /login/mfa/enroll, the challenge held
 * server-side for this browser (no provider session yet: only the second
 * step starts one); anyone else is signed in and the pending request goes on.
 */
export async function afterFirstStep(
  c: Context<AppEnv>,
  pending: Pending | null,
  user: UserRecord,
  method: LoginMethod,
  status: 302 | 303,
): Promise<Response> {
  const { mfaLogins, browserMfaChallenges } = c.get("services");
  const next = await mfaLogins.afterFirstStep(c.get("tenant"), user, method);
  switch (next.kind) {
    case "challenge":
    case "enrollment": {
      const held = { mfaToken: next.mfaToken, factors: next.kind === "challenge" ? next.factors : [] };
      const ref = await browserMfaChallenges.hold(c.get("tenant"), held, await browserBinding(c));
      const query = new URLSearchParams({ ...(pending ? { request: pending.id } : {}), challenge: ref });
      const step = next.kind === "challenge" ? "login/mfa" : "login/mfa/enroll";
      return c.redirect(`/t/${c.get("tenant").slug}/${step}?${query}`, status);
    }
    case "session": {
      // Claimed before the session starts: of two submits of one request, only one signs in.
      const mine = pending && (await claimPending(c, pending));
      const session = await startProviderSession(c, user, method);
      return signedIn(c, mine, session.id, status);
    }
    default: {
      // An outcome added later fails to compile here until the hosted pages handle it.
      const unhandled: never = next;
      throw new Error(`unhandled first-step outcome: ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Login failures the form shows itself (wrong password, throttled, locked, disabled); anything else is an error page. */
const SHOWN_ON_FORM = new Set(["invalid_credentials", "rate_limited", "account_locked", "account_disabled"]);

export const hostedLoginRoutes = new Hono<AppEnv>()
  .get("/t/:tenant/login", async (c) => {
    const pending = await pendingOf(c, c.req.query("request"));
    if (!pending) {
      const current = await currentSession(c);
      if (current) {
        const page = await pageContext(c);
        const email = await c.get("services").accounts.address(current.user);
        return sendPage(c, page, SignedInPage({ page, email }));
      }
    }
    return loginPage(c, pending);
  })
  .post("/t/:tenant/login", async (c) => {
    const form = await readForm(c);
    const pending = await pendingOf(c, form.request);
    const fields = parseFields(LoginFields, form);
    if (!fields.ok) {
      const message = (await pageContext(c)).strings.login.wrongCredentials;
      return loginPage(c, pending, { email: form.email, problems: { message }, status: 400 });
    }
    const { accounts, clientIp } = c.get("services");
    let user: Awaited<ReturnType<typeof accounts.authenticate>>;
    try {
      user = await accounts.authenticate(c.get("tenant"), fields.value, ipBucket(clientIp(c)));
    } catch (error) {
      if (!(error instanceof AppError) || !SHOWN_ON_FORM.has(error.code)) throw error;
      const { strings } = await pageContext(c, requestLanguage(pending));
      const message =
        error.code === "invalid_credentials" ? strings.login.wrongCredentials : errorMessage(strings, error);
      return loginPage(c, pending, {
        email: fields.value.email,
        problems: { message },
        status: error.status,
        headers: error.headers,
      });
    }
    return afterFirstStep(c, pending, user, PASSWORD_LOGIN, 303);
  })
  .get("/t/:tenant/signup", async (c) => {
    const pending = await pendingOf(c, c.req.query("request"));
    const page = await pageContext(c, requestLanguage(pending));
    const body = SignupPage({ page, requestId: pending?.id ?? null, email: pending?.request.loginHint ?? undefined });
    return sendPage(c, page, body, { formTargets: targetsOf(pending), script: "forms" });
  })
  .post("/t/:tenant/signup", async (c) => {
    const form = await readForm(c);
    const pending = await pendingOf(c, form.request);
    const page = await pageContext(c, requestLanguage(pending));
    const again = (problems: FormProblems, status: number, emailTaken = false) =>
      sendPage(
        c,
        page,
        SignupPage({ page, requestId: pending?.id ?? null, email: form.email, name: form.name, problems, emailTaken }),
        { status, formTargets: targetsOf(pending), script: "forms" },
      );
    const fields = parseFields(SignupFields, form);
    if (!fields.ok) return again({ message: page.strings.errors.invalidForm, ...fields.problems }, 400);
    const { accounts, emailFlows } = c.get("services");
    let user: Awaited<ReturnType<typeof accounts.signup>>;
    try {
      user = await accounts.signup(c.get("tenant"), fields.value);
    } catch (error) {
      if (error instanceof AppError && error.code === "email_taken") {
        return again({}, 409, true);
      }
      const problems = fieldProblems(error, page.strings.errors.invalidForm);
      if (!problems) throw error;
      return again(problems, 400);
    }
    await emailFlows.afterSignup(c.get("tenant"), user, inBackground(c));
    return afterFirstStep(c, pending, user, PASSWORD_LOGIN, 303);
  });
