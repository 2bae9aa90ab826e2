/**
 * The hosted login's second step in chromium on the built Node server: a
 * user with a TOTP authenticator signs in with the password, gets the code
 * page (axe-core clean, screenshot kept), is told off for a wrong code, and
 * with the right one arrives at the client whose ID token says mfa.
 */

import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import {
  arrived,
  check,
  type codeFlow,
  focusedField,
  poll,
  type Service,
  startChromiumStage,
  watchedPage,
} from "../support/hosted-chromium.js";
import { call, PROCESS_TEST_MS } from "../support/runtime-node.js";

const EMAIL = "mira@example.com";
const PASSWORD = "seven herons over the marsh";

let stage: Awaited<ReturnType<typeof startChromiumStage>>;
let server: Service;
let browser: Browser;
let flow: ReturnType<typeof codeFlow>;
let portal: string;
let secret: Uint8Array;

beforeAll(async () => {
  stage = await startChromiumStage({ slug: "mfa", name: "Heron Bank" });
  ({ server, browser, flow } = stage);
  portal = await stage.registerClient("portal", { name: "Portal", first_party: true });

  // The user and their authenticator, through the JSON API.
  const signup = await stage.signUp(EMAIL, PASSWORD);
  const bearer = { "Content-Type": "application/json", Authorization: `Bearer ${signup.access_token as string}` };
  const enrollment = await call(server, "/t/mfa/v1/mfa/totp", { method: "POST", headers: bearer, body: "{}" });
  expect(enrollment.status, enrollment.text).toBe(201);
  secret = decodeBase32IgnorePadding(enrollment.json.secret as string);
  // The previous step's code confirms, so the login's code (this step) is not a replay.
  const confirm = await call(server, `/t/mfa/v1/mfa/totp/${enrollment.json.id as string}/confirm`, {
    method: "POST",
    headers: bearer,
    body: JSON.stringify({ code: totpCode(secret, totpStep(new Date()) - 1) }),
  });
  expect(confirm.status, confirm.text).toBe(200);
}, 90_000);

afterAll(async () => {
  await stage?.close();
}, 30_000);

describe("hosted second step in chromium", () => {
  it(
    "password, the code page, a wrong code, the right code: back at the client with amr mfa",
    async () => {
      const { page, watch } = await watchedPage(browser, server.base);
      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => page.url()).toContain("/t/mfa/login?request=");
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();

      await poll(() => page.url()).toContain("/t/mfa/login/mfa?request=");
      const field = page.getByLabel("Code");
      await expect(field.getAttribute("autocomplete")).resolves.toBe("one-time-code");
      await expect(field.getAttribute("inputmode")).resolves.toBe("numeric");
      await check(page, "login-mfa");

      const right = totpCode(secret, totpStep(new Date()));
      await field.fill(right === "000000" ? "111111" : "000000");
      await page.getByRole("button", { name: "Verify" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toBe("Some fields need attention.");
      // The message is the code field's: focused (autofocus runs at a rendering update after load),
      // invalid, and described by it.
      await poll(() => focusedField(page)).toMatchObject({
        id: "field-code",
        invalid: "true",
        description: expect.stringContaining("That code is wrong"),
      });
      await check(page, "login-mfa-error");

      await page.getByLabel("Code").fill(totpCode(secret, totpStep(new Date())));
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
