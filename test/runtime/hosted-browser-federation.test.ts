/**
 * The login page's upstream buttons in a real browser (chromium) on the built
 * Node server: an OpenID Connect login at a real provider (panva's
 * oidc-provider, its own login page) and a SAML login at the test IdP (its
 * sign-in form, then the HTTP-POST binding's self-submitting form to the
 * ACS), each back into the pending authorization request and on to a code
 * the application redeems. The upstreams are at `localhost`, the service at
 * 127.0.0.1: another site, so the round trips run under the browser's
 * SameSite rules as they do in production. Our pages pass the same axe-core,
 * CSP and layout checks as in hosted-browser.test.ts; screenshots of every
 * step (the upstreams' pages too) are kept in test-artifacts/hosted/.
 */
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrived,
  CHROMIUM,
  check,
  codeFlow,
  launchChromium,
  poll,
  screenshot,
  startApps,
  type Watch,
  watchedPage,
} from "../support/hosted-chromium.js";
import { type OidcProvider, startOidcProvider } from "../support/oidc-provider.js";
import { freePort } from "../support/ports.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  ADMIN_KEY,
  adminHeaders,
  call,
  cleanupNodes,
  ENTRY,
  type NodeProcess,
  PROCESS_TEST_MS,
  serverEnv,
  startNode,
} from "../support/runtime-node.js";
import { type SamlIdpServer, startSamlIdpServer } from "../support/saml-idp-server.js";

const TENANT = "fed";
/** The upstreams' host: another site than the service's 127.0.0.1. */
const UPSTREAM_HOST = "localhost";

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;
let browser: Browser;
let apps: Awaited<ReturnType<typeof startApps>>;
let flow: ReturnType<typeof codeFlow>;
let op: OidcProvider;
let samlIdp: SamlIdpServer;
let photos: string;
let portal: string;

async function admin(path: string, method: string, body: unknown): Promise<Record<string, unknown>> {
  const answer = await call(server, `/t/${TENANT}/v1/admin/${path}`, {
    method,
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify(body),
  });
  expect(answer.status, answer.text).toBeLessThan(300);
  return answer.json;
}

/** Catalogue providers, configured only to be listed (nobody signs in with them here). */
const CATALOGUE_PROVIDERS: Record<string, Record<string, string>> = {
  apple: {},
  discord: {},
  github: {},
  gitlab: {},
  google: {},
  microsoft: { issuer: "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0" },
};

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  [op, samlIdp] = await Promise.all([
    startOidcProvider({
      clientId: "harbour",
      clientSecret: "harbour-secret-0123456789",
      redirectUris: [`${publicUrl}/t/${TENANT}/v1/oauth/acme/callback`],
      host: UPSTREAM_HOST,
    }),
    startSamlIdpServer(UPSTREAM_HOST),
  ]);
  server = await startNode(serverEnv(database.url, prefix, { PORT: String(port), PUBLIC_URL: publicUrl }));
  apps = await startApps();
  flow = codeFlow(server, TENANT, apps.base);
  const tenant = await call(server, "/v1/admin/tenants", {
    method: "POST",
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify({ slug: TENANT, name: "Harbour Books" }),
  });
  expect(tenant.status, tenant.text).toBe(201);
  await admin("oauth-providers/acme", "PUT", {
    client_id: "harbour",
    client_secret: "harbour-secret-0123456789",
    issuer: op.issuer,
  });
  for (const [name, extra] of Object.entries(CATALOGUE_PROVIDERS)) {
    await admin(`oauth-providers/${name}`, "PUT", { client_id: `${name}-id`, client_secret: "unused", ...extra });
  }
  await admin("saml-connections/northwind", "PUT", { idp_metadata_xml: samlIdp.idp.metadataXml, trust_email: true });
  const client = async (body: Record<string, unknown>) =>
    (await admin("clients", "POST", { type: "public", ...body })).client_id as string;
  photos = await client({
    name: "Photo Printer",
    redirect_uris: [`${apps.base}/photos/cb`],
    scopes: ["openid", "profile", "email"],
  });
  portal = await client({ name: "Portal", redirect_uris: [`${apps.base}/portal/cb`], first_party: true });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await cleanupNodes();
  await apps?.close();
  await Promise.allSettled([op?.close(), samlIdp?.close()]);
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

/** The application sends a fresh browser to authorize: no session there, so the login page. */
async function atLoginPage(clientId: string, app: string): Promise<{ page: Page; watch: Watch }> {
  const watched = await watchedPage(browser, server.base);
  await watched.page.goto(flow.authorizeUrl(clientId, app));
  await poll(() => watched.page.url()).toContain(`/t/${TENANT}/login?request=`);
  return watched;
}

/** The provider's development login form: any password. */
async function signInAtProvider(page: Page, login: string, screenshotName: string): Promise<void> {
  await poll(() => arrived(page).origin).toBe(op.issuer);
  await screenshot(page, screenshotName);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any");
  await page.getByRole("button", { name: "Sign-in" }).click();
}

describe("the login page's upstream buttons in chromium", () => {
  it(
    "an OpenID Connect provider (oidc-provider): its login, back to our consent, a code for the app",
    async () => {
      const { page, watch } = await atLoginPage(photos, "photos");
      // Catalogue providers by their own names, the others by their configured name capitalised.
      await expect(page.locator('[aria-labelledby="federated-heading"] a').allTextContents()).resolves.toEqual(
        ["Acme", "Apple", "Discord", "GitHub", "GitLab", "Google", "Microsoft", "Northwind"].map(
          (name) => `Continue with ${name}`,
        ),
      );
      await check(page, "federated-login");

      await page.getByRole("link", { name: "Continue with Acme" }).click();
      await signInAtProvider(page, "alice", "upstream-oidc-login");

      // Back in the pending request: the third-party client still asks for consent.
      await poll(() => page.url()).toContain(`/t/${TENANT}/consent?request=`);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
        "Photo Printer wants to access your account",
      );
      await check(page, "federated-consent");
      await page.getByRole("button", { name: "Allow" }).click();
      await poll(() => arrived(page).pathname).toBe("/photos/cb");
      expect(arrived(page).searchParams.get("state")).toBe("state-photos");
      const claims = await flow.redeem(page, photos, "photos");
      expect(claims).toMatchObject({ aud: photos, nonce: "n-1", amr: ["oauth"] });
      expect(op.seen.routes.token).toBe(1);
      expect(op.seen.errors).toEqual([]);

      // The upstream login started a provider session here: SSO into the first-party portal.
      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const again = await flow.redeem(page, portal, "portal");
      expect(again).toMatchObject({ aud: portal, sub: claims.sub, sid: claims.sid, amr: ["oauth"] });

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );

  it(
    "cancelling at the provider comes back to our login form, which says so",
    async () => {
      const { page, watch } = await atLoginPage(portal, "portal");
      await page.getByRole("link", { name: "Continue with Acme" }).click();
      await poll(() => arrived(page).origin).toBe(op.issuer);
      await page.getByRole("link", { name: "[ Cancel ]" }).click();
      await poll(() => arrived(page).pathname).toBe(`/t/${TENANT}/login/federated/return`);
      await expect(page.getByRole("alert").textContent()).resolves.toMatch(/^Signing in there did not work: /);
      await expect(page.getByLabel("Email address").isVisible()).resolves.toBe(true);
      await check(page, "federated-refused");
      // The pending request goes on from here: the form still belongs to it.
      await page.getByRole("link", { name: "Continue with Acme" }).click();
      await signInAtProvider(page, "bob", "upstream-oidc-login-again");
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      expect(await flow.redeem(page, portal, "portal")).toMatchObject({ aud: portal, amr: ["oauth"] });
      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );

  it(
    "a SAML connection (the test IdP): its sign-in, the POST binding to our ACS, a code for the app",
    async () => {
      const { page, watch } = await atLoginPage(portal, "portal");
      await page.getByRole("link", { name: "Continue with Northwind" }).click();
      await poll(() => arrived(page).origin + arrived(page).pathname).toBe(samlIdp.ssoUrl);
      await screenshot(page, "upstream-saml-login");
      await page.getByLabel("Email").fill("rosa@northwind.example");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      // The IdP's page posts the response to the ACS, which sends the browser on into the authorization.
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      expect(arrived(page).searchParams.get("state")).toBe("state-portal");
      const claims = await flow.redeem(page, portal, "portal");
      expect(claims).toMatchObject({ aud: portal, nonce: "n-1", amr: ["saml"] });
      expect(samlIdp.signedIn).toEqual(["rosa@northwind.example"]);
      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );
});
