import type { Context } from "hono";
import { Hono } from "hono";
import { errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";
import { ConsentPage } from "../pages/flow-pages.js";
import { readForm } from "../pages/forms.js";
import { pageContext, sendPage } from "../pages/page.js";
import { decide, issueCode, type Pending, pendingOf, proceed, refuse, requestLanguage } from "./authorize-flow.js";

/** The pending request of a consent page: it must exist (the page is only ever reached with one). */
async function requiredPending(c: Context<AppEnv>, id: string | undefined): Promise<Pending> {
  const pending = await pendingOf(c, id);
  if (!pending) throw errors.validationCode("expired_request", "The consent page needs its authorization request.");
  return pending;
}

/**
 * `/t/{tenant}/consent`: a third-party client's request, shown to the
 * signed-in user. Allow remembers the scopes for the user and client
 * (ConsentService: a union with earlier grants) and issues the code; Deny
 * answers `access_denied` at the redirect URI.
 */
export const hostedConsentRoutes = new Hono<AppEnv>()
  .get("/t/:tenant/consent", async (c) => {
    const pending = await requiredPending(c, c.req.query("request"));
    const { step, client, signedIn } = await decide(c, pending);
    // Reached without a session, or with nothing left to ask: the flow decides where to go.
    if (step.kind !== "consent" || !signedIn) return proceed(c, pending, 302);
    const page = await pageContext(c, requestLanguage(pending));
    const body = ConsentPage({
      page,
      requestId: pending.id,
      clientName: client.name,
      scopes: pending.request.scopes,
      email: await c.get("services").accounts.address(signedIn.user),
      sessionId: signedIn.session.id,
    });
    return sendPage(c, page, body, { formTargets: [pending.request.redirectUri], script: "forms" });
  })
  .post("/t/:tenant/consent", async (c) => {
    const form = await readForm(c);
    const pending = await requiredPending(c, form.request);
    const { step, client, signedIn } = await decide(c, pending);
    // Only an answer to the consent this browser's user was asked for counts: after a switch of
    // user (another tab), the page shown to the previous one answers for no one, and the new user is asked.
    if (step.kind !== "consent" || !signedIn || form.session !== signedIn.session.id) return proceed(c, pending, 303);
    if (form.decision !== "allow") {
      return refuse(c, pending, "access_denied", "The user denied the request.", 303);
    }
    await c.get("services").consents.grant(c.get("tenant"), signedIn.user.id, client.clientId, pending.request.scopes);
    return issueCode(c, pending, signedIn, 303);
  });
