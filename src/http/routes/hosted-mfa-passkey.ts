import { Hono } from "hono";
import { AppError, errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";
import { browserBinding } from "../pages/browser.js";
import { readForm } from "../pages/forms.js";
import { pageContext } from "../pages/page.js";
import { startProviderSession } from "../pages/sso.js";
import { pendingOf, requestLanguage } from "./authorize-flow.js";
import { signedIn } from "./hosted-login.js";
import { mfaPage, startAgain } from "./hosted-mfa.js";
import { assertionField, challengeIdField } from "./passkey-fields.js";

/**
 * A passkey as the hosted login's second step. The /login/mfa page's script
 * posts the page's form (CSRF token, challenge reference) for request options
 * listing the challenged user's passkeys, then posts the browser's assertion;
 * a verified one ends the challenge as a right code does (amr with hwk/swk
 * and mfa), a refused one costs an attempt like a wrong code.
 */

export const hostedMfaPasskeyRoutes = new Hono<AppEnv>()
  .post("/t/:tenant/login/mfa/passkey/options", async (c) => {
    const form = await readForm(c);
    const { browserMfaChallenges, mfaLogins } = c.get("services");
    const held = await browserMfaChallenges.find(c.get("tenant"), form.challenge, await browserBinding(c));
    // Read by the script, not shown: problem+json (401 invalid_mfa_token) when there is no such challenge here.
    if (!held?.factors.includes("passkey")) throw errors.invalidMfaToken();
    const { challengeId, options } = await mfaLogins.passkeyOptions(c.get("tenant"), held.mfaToken);
    c.header("Cache-Control", "no-store");
    return c.json({ challenge_id: challengeId, options }, 200);
  })
  .post("/t/:tenant/login/mfa/passkey", async (c) => {
    const form = await readForm(c);
    const pending = await pendingOf(c, form.request);
    const { browserMfaChallenges, mfaLogins } = c.get("services");
    const tenant = c.get("tenant");
    const challenge = form.challenge ?? "";
    const held = await browserMfaChallenges.find(tenant, challenge, await browserBinding(c));
    if (!held) return startAgain(c, pending);
    const { strings } = await pageContext(c, requestLanguage(pending));
    const assertion = assertionField(form.credential);
    const challengeId = challengeIdField(form.challenge_id);
    // Nothing a browser would send: no attempt was made.
    if (!assertion || !challengeId)
      return mfaPage(c, pending, challenge, held, { problem: strings.mfa.passkeyFailed, status: 400 });
    let verified: Awaited<ReturnType<typeof mfaLogins.verifyPasskey>>;
    try {
      verified = await mfaLogins.verifyPasskey(tenant, held.mfaToken, challengeId, assertion);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === "invalid_mfa_token") {
        await browserMfaChallenges.drop(tenant, challenge);
        return startAgain(c, pending);
      }
      if (error.code !== "passkey_refused") throw error;
      return mfaPage(c, pending, challenge, held, { problem: strings.mfa.passkeyFailed, status: error.status });
    }
    await browserMfaChallenges.drop(tenant, challenge);
    const session = await startProviderSession(c, verified.user, verified.method);
    return signedIn(c, pending, session.id);
  });
