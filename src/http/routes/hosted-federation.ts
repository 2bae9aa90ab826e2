import type { Context } from "hono";
import { Hono } from "hono";
import { errors } from "../../core/errors.js";
import { PROVIDER_NAME } from "../../core/federation/catalogue.js";
import type { AppEnv } from "../context.js";
import { browserBinding } from "../pages/browser.js";
import { isolatedText } from "../pages/isolated.js";
import { pageContext } from "../pages/page.js";
import { pendingOf } from "./authorize-flow.js";
import { afterFirstStep, loginPage } from "./hosted-login.js";

/**
 * The login page's upstream buttons, through the existing federated flows
 * (federation.ts, saml.ts) rather than beside them: the upstream login is
 * started with `{issuer}/login/federated/return` as its redirect URI (the
 * hosted return, exempt from the tenant's client allowlist) and a handle as
 * its state; the return route redeems the flow's one-time code server-side
 * with its PKCE verifier, then goes on as after a password: the second step
 * for a user with a factor, else the provider session and the pending
 * authorization request.
 */

const MAX_DESCRIPTION = 300;

/** Starts an upstream login for this browser and the pending request (if any) named by `request`. */
async function start(c: Context<AppEnv>, kind: "oauth" | "saml", name: string): Promise<Response> {
  const { federatedReturns, federation, saml, tokens } = c.get("services");
  const tenant = c.get("tenant");
  const pending = await pendingOf(c, c.req.query("request"));
  const { handle, codeChallenge } = await federatedReturns.start(tenant, pending?.id ?? null, await browserBinding(c));
  const issuer = tokens.issuer(tenant);
  const query = {
    redirectUri: `${issuer}/login/federated/return`,
    state: handle,
    codeChallenge,
    codeChallengeMethod: "S256",
    hostedReturn: true,
  };
  // Provider and connection names share one pattern; anything else (a NUL, which Postgres cannot hold) is no such upstream.
  const known = PROVIDER_NAME.test(name);
  const { location } =
    kind === "oauth"
      ? await federation.authorize(tenant, known ? name : "-", `${issuer}/v1/oauth/${name}/callback`, query)
      : await saml.login(tenant, known ? name : "-", issuer, query);
  c.header("Cache-Control", "no-store");
  return c.redirect(location, 302);
}

export const hostedFederationRoutes = new Hono<AppEnv>()
  .get("/t/:tenant/login/federated/oauth/:provider", (c) => start(c, "oauth", c.req.param("provider")))
  .get("/t/:tenant/login/federated/saml/:connection", (c) => start(c, "saml", c.req.param("connection")))
  .get("/t/:tenant/login/federated/return", async (c) => {
    const { federatedReturns, logins } = c.get("services");
    const tenant = c.get("tenant");
    const returned = await federatedReturns.take(tenant, c.req.query("state"), await browserBinding(c));
    if (!returned) throw errors.invalidState();
    const pending = await pendingOf(c, returned.requestId ?? undefined);
    const code = c.req.query("code");
    if (!code) {
      // The upstream refused or failed: back to the login form, which offers the other ways in.
      const { strings } = await pageContext(c);
      // access_denied carries one of this service's own sentences (link refused, disabled, ...); any other
      // error's text can name what the link asked for (a provider name), so it is not shown.
      const reason =
        c.req.query("error") === "access_denied"
          ? isolatedText((c.req.query("error_description") ?? "").slice(0, MAX_DESCRIPTION))
          : strings.login.federatedUnavailable;
      return loginPage(c, pending, {
        problems: { message: `${strings.login.federatedFailed} ${reason}` },
        status: 400,
      });
    }
    const { user, method } = await logins.exchange(tenant, code, returned.codeVerifier);
    // The upstream login is a first step like the password: a user with a second factor still needs it.
    return afterFirstStep(c, pending, user, method, 302);
  });
