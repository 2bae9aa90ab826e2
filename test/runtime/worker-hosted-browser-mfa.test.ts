/**
 * The hosted second factors in chromium on the built Worker in workerd
 * (served over HTTP; Postgres and Redis through the Neon HTTP and Upstash
 * REST bridges): a user signs up on the hosted page, adds an authenticator
 * app on the security page by reading the key off the page, signs out, and
 * logs in again through /authorize with the password and the code, arriving
 * at the client with amr mfa; another user runs the passkey second-step
 * scenario of test/support/passkey-second-step.ts (as
 * hosted-browser-passkey-mfa.test.ts does on Node: the passkey added on the
 * security page, the login's second step with it), then signs out and signs
 * in with that passkey alone on the hosted login page, arriving with amr hwk.
 * Every page axe-core clean, screenshots kept (worker-*). PUBLIC_URL is
 * http://localhost:{port}: a secure context whose host is a valid RP ID (an
 * IP address is not).
 */

import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrived,
  type ChromiumStage,
  check,
  type codeFlow,
  focusedField,
  poll,
  startChromiumStage,
  watchedPage,
} from "../support/hosted-chromium.js";
import { describePasskeySecondStep } from "../support/passkey-second-step.js";
import { PROCESS_TEST_MS } from "../support/runtime-node.js";
import { totpCode } from "../support/totp.js";

const PASSWORD = "nine plovers on the shingle";

let stage: ChromiumStage;
let browser: Browser;
let flow: ReturnType<typeof codeFlow>;
let base: string;
let portal: string;

beforeAll(async () => {
  stage = await startChromiumStage({ slug: "edge", name: "Plover Mutual" }, { runtime: "worker", host: "localhost" });
  ({ browser, flow, base } = stage);
  portal = await stage.registerClient("portal", { name: "Portal", first_party: true });
}, 90_000);

afterAll(async () => {
  await stage?.close();
}, 30_000);

describe("hosted second factors in chromium on the Worker", () => {
  it(
    "signs up, adds an authenticator app from the page's key, then logs in with password and code: amr mfa",
    async () => {
      const email = "pia@example.com";
      const { page, watch } = await watchedPage(browser, base);
      await page.goto(`${base}/t/edge/signup`);
      await check(page, "worker-signup");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
      await poll(() => page.getByRole("button", { name: "Sign out" }).count()).toBe(1);

      await page.goto(`${base}/t/edge/account/security`);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Account security");
      await check(page, "worker-security-empty");
      await page.getByRole("button", { name: "Add an authenticator app" }).click();

      await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Set up your authenticator app");
      await expect(page.getByRole("img", { name: "QR code for your authenticator app" }).count()).resolves.toBe(1);
      const shown = (await page.locator("code.secret").textContent()) ?? "";
      expect(shown).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
      const secret = decodeBase32IgnorePadding(shown.replaceAll(" ", ""));
      await check(page, "worker-security-totp-setup");
      // The previous step's code confirms, so the login's code below (a later step) is no replay.
      await page.getByLabel("Code", { exact: true }).fill(await totpCode(secret, -1));
      await page.getByRole("button", { name: "Confirm" }).click();

      await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Save your recovery codes");
      await expect(page.locator("ul.codes li").count()).resolves.toBe(10);
      await check(page, "worker-security-recovery-codes");
      await page.getByRole("link", { name: "Back to account security" }).click();
      await poll(() => page.locator("ul.factors li").count()).toBe(1);
      await check(page, "worker-security-listed");
      // The login page without a request, signed in: who, and the way out.
      await page.goto(`${base}/t/edge/login`);
      await check(page, "worker-signed-in");
      await page.getByRole("button", { name: "Sign out" }).click();
      await poll(() => page.getByRole("button", { name: "Sign out" }).count()).toBe(0);

      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => page.url()).toContain("/t/edge/login?request=");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await poll(() => page.url()).toContain("/t/edge/login/mfa?request=");
      await check(page, "worker-login-mfa");

      const right = await totpCode(secret);
      await page.getByLabel("Code", { exact: true }).fill(right === "000000" ? "111111" : "000000");
      await page.getByRole("button", { name: "Verify" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toBe("Some fields need attention.");
      // The message is the code field's: focused (autofocus runs at a rendering update after load),
      // invalid, and described by it.
      await poll(() => focusedField(page)).toMatchObject({
        id: "field-code",
        invalid: "true",
        description: expect.stringContaining("That code is wrong"),
      });
      await check(page, "worker-login-mfa-error");

      await page.getByLabel("Code", { exact: true }).fill(await totpCode(secret));
      await page.getByRole("button", { name: "Verify" }).click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const claims = await flow.redeem(page, portal, "portal");
      expect(claims).toMatchObject({ amr: ["pwd", "otp", "mfa"], acr: "urn:authority:mfa" });

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );
});

// kai@example.com adds a passkey on the security page and finishes a password login's second step with it.
const withPasskey = describePasskeySecondStep(
  "worker",
  () => ({ stage, slug: "edge", portal }),
  "kai@example.com",
  PASSWORD,
);

describe("passwordless sign-in in chromium on the Worker", () => {
  it(
    "signs out, then signs in with the passkey added on the security page and arrives at the client with amr hwk",
    async () => {
      const { userId, page, watch } = withPasskey();
      await page.goto(`${base}/t/edge/login`);
      await page.getByRole("button", { name: "Sign out" }).click();
      await poll(() => page.getByRole("button", { name: "Sign out" }).count()).toBe(0);

      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => page.url()).toContain("/t/edge/login?request=");
      const button = page.getByRole("button", { name: "Sign in with a passkey" });
      await expect(button.isVisible()).resolves.toBe(true);
      await check(page, "worker-login-passkey");

      await button.click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const claims = await flow.redeem(page, portal, "portal");
      expect(claims).toMatchObject({ sub: userId, amr: ["hwk", "mfa"] });

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
    },
    PROCESS_TEST_MS,
  );
});
