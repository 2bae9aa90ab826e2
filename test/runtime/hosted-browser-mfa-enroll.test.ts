/**
 * The hosted enrollment of a first factor in chromium on the built Node
 * server: at a tenant whose MFA policy is `required`, a user without a
 * factor signs in with the password, is shown the authenticator key (read
 * off the page, as a person would type it into an app), confirms it with a
 * code computed here, sees the recovery codes once, continues, and arrives
 * at the client whose ID token says otp and mfa. Pages are axe-core clean,
 * screenshots kept.
 */

import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import {
  arrived,
  check,
  type codeFlow,
  poll,
  type Service,
  startChromiumStage,
  watchedPage,
} from "../support/hosted-chromium.js";
import { adminHeaders, call, PROCESS_TEST_MS } from "../support/runtime-node.js";

const EMAIL = "ines@example.com";
const PASSWORD = "nine swallows under the bridge";

let stage: Awaited<ReturnType<typeof startChromiumStage>>;
let server: Service;
let browser: Browser;
let flow: ReturnType<typeof codeFlow>;
let portal: string;

beforeAll(async () => {
  stage = await startChromiumStage({ slug: "enroll", name: "Kestrel Credit Union" });
  ({ server, browser, flow } = stage);
  portal = await stage.registerClient("portal", { name: "Portal", first_party: true });
  // The user signs up while factors are optional, then the tenant requires one.
  await stage.signUp(EMAIL, PASSWORD);
  const policy = await call(server, "/t/enroll/v1/admin/mfa-policy", {
    method: "PUT",
    headers: adminHeaders(stage.adminKey),
    body: JSON.stringify({ policy: "required" }),
  });
  expect(policy.status, policy.text).toBe(200);
}, 90_000);

afterAll(async () => {
  await stage?.close();
}, 30_000);

describe("hosted enrollment in chromium", () => {
  it(
    "password, the key from the page, its code, the recovery codes, Continue: at the client with amr otp+mfa",
    async () => {
      const { page, watch } = await watchedPage(browser, server.base);
      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => page.url()).toContain("/t/enroll/login?request=");
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();

      await poll(() => page.url()).toContain("/t/enroll/login/mfa/enroll?request=");
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Set up two-step verification");
      await expect(page.getByRole("img", { name: "QR code for your authenticator app" }).isVisible()).resolves.toBe(
        true,
      );
      const shownKey = (await page.locator("code.secret").textContent()) ?? "";
      expect(shownKey).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
      await check(page, "login-mfa-enroll");

      const secret = decodeBase32IgnorePadding(shownKey.replaceAll(" ", ""));
      const field = page.getByLabel("Code", { exact: true });
      await expect(field.getAttribute("autocomplete")).resolves.toBe("one-time-code");
      await field.fill(totpCode(secret, totpStep(new Date())));
      await page.getByRole("button", { name: "Confirm" }).click();

      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Save your recovery codes");
      const codes = await page.getByRole("list", { name: "Recovery code" }).locator("code").allTextContents();
      expect(codes).toHaveLength(10);
      for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
      // Each code on one line, to copy or write down as it is: a code broken at a dash reads as two.
      const lines = await page
        .locator("ul.codes code")
        .evaluateAll((shown) => shown.map((c) => c.getClientRects().length));
      expect(lines).toEqual(Array(10).fill(1));
      await check(page, "login-mfa-enroll-codes");

      await page.getByRole("button", { name: "Continue" }).click();
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
