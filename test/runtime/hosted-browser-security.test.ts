/**
 * The hosted security page in chromium on the built Node server: a user
 * signs in with the password, opens the page, adds an authenticator app by
 * reading the key off the page (the first code computed here with
 * @oslojs/otp), sees the recovery codes once; then signs out and in again
 * through /authorize with the password and the code step, arriving at the
 * client with amr mfa, and with that fresh login removes the factor. Every
 * page axe-core clean, screenshots kept.
 */

import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrived,
  check,
  type codeFlow,
  poll,
  type Service,
  startChromiumStage,
  watchedPage,
} from "../support/hosted-chromium.js";
import { PROCESS_TEST_MS } from "../support/runtime-node.js";
import { totpCode } from "../support/totp.js";

const EMAIL = "ines@example.com";
const PASSWORD = "eleven otters in the weir";

let stage: Awaited<ReturnType<typeof startChromiumStage>>;
let server: Service;
let browser: Browser;
let flow: ReturnType<typeof codeFlow>;
let portal: string;

beforeAll(async () => {
  stage = await startChromiumStage({ slug: "sec", name: "Otter Savings" });
  ({ server, browser, flow } = stage);
  portal = await stage.registerClient("portal", { name: "Portal", first_party: true });
  await stage.signUp(EMAIL, PASSWORD);
}, 90_000);

afterAll(async () => {
  await stage?.close();
}, 30_000);

describe("hosted security page in chromium", () => {
  it(
    "adds an authenticator app from the page's key, then a login through /authorize takes its code",
    async () => {
      const { page, watch } = await watchedPage(browser, server.base);
      await page.goto(`${server.base}/t/sec/account/security`);
      await expect(page.getByRole("link", { name: "Sign in" }).count()).resolves.toBe(1);
      await check(page, "security-sign-in-first");

      await page.goto(`${server.base}/t/sec/login`);
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await poll(() => page.getByRole("button", { name: "Sign out" }).count()).toBe(1);

      await page.goto(`${server.base}/t/sec/account/security`);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Account security");
      await check(page, "security-empty");
      await page.getByRole("button", { name: "Add an authenticator app" }).click();

      await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Set up your authenticator app");
      await expect(page.getByRole("img", { name: "QR code for your authenticator app" }).count()).resolves.toBe(1);
      const shown = (await page.locator("code.secret").textContent()) ?? "";
      expect(shown).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
      const secret = decodeBase32IgnorePadding(shown.replaceAll(" ", ""));
      await check(page, "security-totp-setup");
      // The previous step's code confirms, so the login's code below (a later step) is no replay.
      await page.getByLabel("Code", { exact: true }).fill(await totpCode(secret, -1));
      await page.getByRole("button", { name: "Confirm" }).click();

      await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Save your recovery codes");
      await expect(page.locator("ul.codes li").count()).resolves.toBe(10);
      await check(page, "security-recovery-codes");
      await page.getByRole("link", { name: "Back to account security" }).click();
      await poll(() => page.locator("ul.factors li").count()).toBe(1);
      await expect(page.getByText("Recovery codes left: 10 of 10.").count()).resolves.toBe(1);
      await check(page, "security-listed");

      // A password-only session may not remove the factor.
      await page.getByRole("button", { name: "Remove Authenticator app" }).click();
      await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in again");
      await check(page, "security-step-up");
      await page.getByRole("button", { name: "Sign out" }).click();
      await poll(() => page.getByRole("button", { name: "Sign out" }).count()).toBe(0);

      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => page.url()).toContain("/t/sec/login?request=");
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await poll(() => page.url()).toContain("/t/sec/login/mfa?request=");
      await page.getByLabel("Code", { exact: true }).fill(await totpCode(secret));
      await page.getByRole("button", { name: "Verify" }).click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      expect(await flow.redeem(page, portal, "portal")).toMatchObject({ amr: ["pwd", "otp", "mfa"] });

      // Fresh from the second factor: now the factor can go.
      await page.goto(`${server.base}/t/sec/account/security`);
      await page.getByRole("button", { name: "Remove Authenticator app" }).click();
      await poll(() => page.getByText("The factor is removed.").count()).toBe(1);
      await check(page, "security-removed");

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );
});
