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

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrived, check, type codeFlow, poll, startChromiumStage, watchedPage } from "../support/hosted-chromium.js";
import { PROCESS_TEST_MS } from "../support/runtime-node.js";

let stage: Awaited<ReturnType<typeof startChromiumStage>>;
let browser: Browser;
let flow: ReturnType<typeof codeFlow>;
let portal: string;
let base: string;
let accessToken: string;
let userId: string;

beforeAll(async () => {
  // An IP address cannot be an RP ID: the service is at localhost.
  stage = await startChromiumStage({ slug: "keys", name: "Kestrel Keys" }, { host: "localhost" });
  ({ browser, flow, base } = stage);
  portal = await stage.registerClient("portal", { name: "Portal", first_party: true });
  const signup = await stage.signUp("kim@example.com", "seven herons over the marsh");
  accessToken = signup.access_token as string;
  userId = (signup.user as { id: string }).id;
}, 90_000);

afterAll(async () => {
  await stage?.close();
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

      await page.goto(flow.authorizeUrl(portal, "portal"));
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
      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => page.url()).toContain("/t/keys/login?request=");
      await expect(page.getByRole("button", { name: "Sign in with a passkey" }).count()).resolves.toBe(0);
      await expect(page.getByRole("button", { name: "Sign in", exact: true }).isVisible()).resolves.toBe(true);
      await context.close();
    },
    PROCESS_TEST_MS,
  );
});
