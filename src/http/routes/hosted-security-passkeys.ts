import { Hono } from "hono";
import { AppError, errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";
import { readForm } from "../pages/forms.js";
import { pageContext, sendPage } from "../pages/page.js";
import { RecoveryCodesPage, SECURITY_PATH } from "../pages/security-pages.js";
import { currentSession } from "../pages/sso.js";
import { factorId, requireSessionStepUp, securityPage, stepUpRefusal, withSession } from "./hosted-security.js";
import { attestationField } from "./passkey-fields.js";
import { passkeyName } from "./passkey-schemas.js";

/**
 * Passkeys on the hosted security page, through the same PasskeyService as
 * the JSON routes, for the browser's signed-in user: the page's script posts
 * the page's form (CSRF token) for creation options, then the credential the
 * browser made with the name field; the first factor brings the first
 * recovery codes, shown once. Renaming is a plain form. Removal is the
 * page's factor removal, which covers passkeys. Adding one needs step-up
 * when the user has a factor already, as removing does.
 */

const PATH = `/t/:tenant${SECURITY_PATH}/passkeys`;

export const hostedSecurityPasskeyRoutes = new Hono<AppEnv>()
  .post(`${PATH}/options`, async (c) => {
    await readForm(c);
    const current = await currentSession(c);
    // Read by the script, not shown: problem+json.
    if (!current) throw errors.forbidden("This browser has no signed-in session.");
    // The JSON routes' step-up rule, as problem+json for the script.
    await requireSessionStepUp(c, current, "new_factor");
    const { accounts, passkeys } = c.get("services");
    const view = await accounts.view(current.user);
    const options = await passkeys.registrationOptions(c.get("tenant"), {
      id: current.user.id,
      email: view.email,
      name: view.name,
    });
    c.header("Cache-Control", "no-store");
    return c.json({ options }, 200);
  })
  .post(PATH, async (c) => {
    const form = await readForm(c);
    return withSession(c, async (signedIn) => {
      const { user } = signedIn;
      const refused = await stepUpRefusal(c, signedIn, "new_factor");
      if (refused) return refused;
      const { passkeys, mfa } = c.get("services");
      const page = await pageContext(c);
      const s = page.strings.security;
      const credential = attestationField(form.credential);
      const name = passkeyName.optional().safeParse(form.name || undefined);
      if (!name.success) return securityPage(c, user, { problem: s.badName, status: 400 });
      if (!credential) return securityPage(c, user, { problem: s.passkeyFailed, status: 400 });
      try {
        await passkeys.finishRegistration(c.get("tenant"), user.id, credential, name.data ?? null);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        // A passkey added meanwhile (the options are refused at the cap already).
        if (error.code === "limit_reached") return securityPage(c, user, { problem: s.passkeyLimit, status: 409 });
        if (error.code !== "invalid_passkey") throw error;
        return securityPage(c, user, { problem: s.passkeyFailed, status: error.status });
      }
      const codes = await mfa.firstRecoveryCodes(c.get("tenant"), user.id);
      if (codes) return sendPage(c, page, RecoveryCodesPage({ page, codes, intro: s.passkeyCodesIntro }));
      return securityPage(c, user, { notice: s.passkeyAdded });
    });
  })
  .post(`${PATH}/rename`, async (c) => {
    const form = await readForm(c);
    return withSession(c, async ({ user }) => {
      const id = factorId(form.id);
      const name = passkeyName.safeParse(form.name ?? "");
      const s = (await pageContext(c)).strings.security;
      if (!name.success) return securityPage(c, user, { problem: s.badName, status: 400 });
      // Another user's id or a TOTP factor's: 404, as the JSON route.
      await c.get("services").passkeys.rename(c.get("tenant"), user.id, id, name.data);
      return securityPage(c, user, { notice: s.renamed });
    });
  });
