import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import type { PasskeyService } from "../../core/mfa/passkeys.js";
import type { AppEnv } from "../context.js";
import { readForm } from "../pages/forms.js";
import { errorMessage } from "../pages/message-page.js";
import { pageContext } from "../pages/page.js";
import { startProviderSession } from "../pages/sso.js";
import { pendingOf, requestLanguage } from "./authorize-flow.js";
import { loginPage, signedIn } from "./hosted-login.js";
import { assertionField, challengeIdField } from "./passkey-fields.js";

/**
 * `POST /t/{tenant}/login/passkey`: the hosted login page's passwordless
 * login. Its script puts the assertion (JSON) and the challenge id of the
 * JSON options route into the form; a verified passkey starts the provider
 * session (amr hwk/swk, + mfa with user verification) and the pending request
 * goes on as after a password login. A passkey is a login of its own, so
 * there is no second step.
 */

/** Refusals the login page shows itself; anything else is an error page. */
const SHOWN_ON_FORM = new Set(["passkey_refused", "account_disabled"]);

export const hostedPasskeyRoutes = new Hono<AppEnv>().post("/t/:tenant/login/passkey", async (c) => {
  const form = await readForm(c);
  const pending = await pendingOf(c, form.request);
  const { strings } = await pageContext(c, requestLanguage(pending));
  const refused = (message: string, status: number) => loginPage(c, pending, { problems: { message }, status });
  const assertion = assertionField(form.credential);
  const challengeId = challengeIdField(form.challenge_id);
  if (!assertion || !challengeId) {
    return refused(strings.login.passkeyFailed, 400);
  }
  let login: Awaited<ReturnType<PasskeyService["login"]>>;
  try {
    login = await c.get("services").passkeys.login(c.get("tenant"), challengeId, assertion);
  } catch (error) {
    if (!(error instanceof AppError) || !SHOWN_ON_FORM.has(error.code)) throw error;
    const message = error.code === "passkey_refused" ? strings.login.passkeyFailed : errorMessage(strings, error);
    return refused(message, error.status);
  }
  const session = await startProviderSession(c, login.user, { authMethod: "passkey", amr: login.amr });
  return signedIn(c, pending, session.id);
});
