/**
 * Passwordless login with a passkey on the hosted login page, in chromium on
 * the built Node server: a user registers a passkey through the JSON API with
 * a CDP virtual authenticator (CTAP2, internal, resident keys, user
 * verification), then an authorization request shows the login page (axe
 * clean, no CSP violation, screenshot kept), "Sign in with a passkey" runs the
 * page's own script, and the browser ends at the client with a code whose ID
 * token says hwk. Without JavaScript the button stays hidden. PUBLIC_URL is
 * http://localhost:{port}: a secure context whose host is a valid RP ID (an
 * IP address is not).
 */

import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrived,
  CHROMIUM,
  check,
  codeFlow,
  launchChromium,
  poll,
  startApps,
  watchedPage,
} from "../support/hosted-chromium.js";
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

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;
let browser: Browser;
let apps: Awaited<ReturnType<typeof startApps>>;
let flow: ReturnType<typeof codeFlow>;
let portal: string;
let base: string;
let accessToken: string;
let userId: string;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  const port = await freePort();
  base = `http://localhost:${port}`;
  server = await startNode(serverEnv(database.url, prefix, { PORT: String(port), PUBLIC_URL: base }));
  apps = await startApps();
  flow = codeFlow(server, "keys", apps.base);
  const admin = adminHeaders(ADMIN_KEY);
  const tenant = await call(server, "/v1/admin/tenants", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ slug: "keys", name: "Kestrel Keys" }),
  });
  expect(tenant.status, tenant.text).toBe(201);
  const client = await call(server, "/t/keys/v1/admin/clients", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({
      type: "public",
      name: "Portal",
      redirect_uris: [`${apps.base}/portal/cb`],
      first_party: true,
    }),
  });
  expect(client.status, client.text).toBe(201);
  portal = client.json.client_id as string;
  const signup = await call(server, "/t/keys/v1/signup", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: "kim@example.com", password: "seven herons over the marsh" }),
  });
  expect(signup.status, signup.text).toBe(201);
  accessToken = signup.json.access_token as string;
  userId = (signup.json.user as { id: string }).id;
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await cleanupNodes();
  await apps?.close();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

describe("hosted passkey login in chromium", () => {
  it(
    "registers a passkey, then signs in with it on the login page and arrives at the client with amr hwk",
    async () => {
      const { page, watch } = await watchedPage(browser, base);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("WebAuthn.enable");
      await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: {
          protocol: "ctap2",
          transport: "internal",
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
        },
      });

      // Registration through the JSON API, from a blank document the browser is handed at the service's origin.
      await page.route(`${base}/register-passkey`, (route) =>
        route.fulfill({ contentType: "text/html", body: "<!doctype html><title>register</title>" }),
      );
      await page.goto(`${base}/register-passkey`);
      const registered = await page.evaluate(async (token) => {
        const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
        const options = await fetch("/t/keys/v1/mfa/passkeys/registration/options", { method: "POST", headers });
        const credential = (await navigator.credentials.create({
          publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(await options.json()),
        })) as PublicKeyCredential;
        const answer = await fetch("/t/keys/v1/mfa/passkeys/registration", {
          method: "POST",
          headers,
          body: JSON.stringify({ response: credential.toJSON(), name: "Laptop" }),
        });
        return { status: answer.status, body: await answer.text() };
      }, accessToken);
      expect(registered.status, registered.body).toBe(201);

      await page.goto(flow.authorizeUrl(portal, "portal").replace(server.base, base));
      await poll(() => page.url()).toContain("/t/keys/login?request=");
      const button = page.getByRole("button", { name: "Sign in with a passkey" });
      await expect(button.isVisible()).resolves.toBe(true);
      await check(page, "login-passkey");

      await button.click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const claims = await flow.redeem(page, portal, "portal");
      expect(claims).toMatchObject({ sub: userId, amr: ["hwk", "mfa"] });

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );

  it(
    "keeps the passkey button hidden without JavaScript; the password form still works",
    async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(flow.authorizeUrl(portal, "portal").replace(server.base, base));
      await poll(() => page.url()).toContain("/t/keys/login?request=");
      await expect(page.getByRole("button", { name: "Sign in with a passkey" }).count()).resolves.toBe(0);
      await expect(page.getByRole("button", { name: "Sign in", exact: true }).isVisible()).resolves.toBe(true);
      await context.close();
    },
    PROCESS_TEST_MS,
  );
});
