/**
 * Passkeys on the hosted security page and as the login's second step, in
 * chromium on the built Node server with a CDP virtual authenticator (CTAP2,
 * internal, resident keys, user verification): a user signed in with the
 * password adds a passkey by name (recovery codes shown once), renames it;
 * then a login through /authorize asks for the second step and "Use a
 * passkey" ends at the client with amr pwd+hwk+mfa. An authenticator that
 * signs wrongly is refused on the page, one that has no credential is told
 * apart by the script, and the right one still works; without JavaScript
 * the page takes a recovery code. Every page axe-core clean, screenshots kept.
 * PUBLIC_URL is http://localhost:{port}: an IP address cannot be an RP ID.
 */

import type { Browser, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrived,
  check,
  type codeFlow,
  poll,
  startChromiumStage,
  type Watch,
  watchedPage,
} from "../support/hosted-chromium.js";
import { PROCESS_TEST_MS } from "../support/runtime-node.js";

const EMAIL = "pia@example.com";
const PASSWORD = "nine plovers on the shingle";

let stage: Awaited<ReturnType<typeof startChromiumStage>>;
let browser: Browser;
let flow: ReturnType<typeof codeFlow>;
let portal: string;
let base: string;
/** One browser page and its authenticator through the tests, in order. */
let page: Page;
let watch: Watch;
let cdp: CDPSession;
let authenticatorId: string;
let recoveryCodes: string[] = [];

beforeAll(async () => {
  stage = await startChromiumStage({ slug: "pkmfa", name: "Plover Bank" }, { host: "localhost" });
  ({ browser, flow, base } = stage);
  portal = await stage.registerClient("portal", { name: "Portal", first_party: true });
  await stage.signUp(EMAIL, PASSWORD);
  ({ page, watch } = await watchedPage(browser, base));
  cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  }));
}, 90_000);

afterAll(async () => {
  await stage?.close();
}, 30_000);

const heading = () => page.getByRole("heading", { level: 1 }).textContent();
const authorizeUrl = () => flow.authorizeUrl(portal, "portal", { prompt: "login" });

/** Through /authorize (prompt=login) with the password, to the second step's page. */
async function toSecondStep(at: Page) {
  await at.goto(authorizeUrl());
  await poll(() => at.url()).toContain("/t/pkmfa/login?request=");
  await at.getByLabel("Email address").fill(EMAIL);
  await at.getByLabel("Password").fill(PASSWORD);
  await at.getByRole("button", { name: "Sign in", exact: true }).click();
  await poll(() => at.url()).toContain("/t/pkmfa/login/mfa?request=");
}

describe("hosted passkeys as a second factor in chromium", () => {
  it(
    "adds and renames a passkey on the security page, then a login's second step with it: amr pwd+hwk+mfa",
    async () => {
      await page.goto(`${base}/t/pkmfa/login`);
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await poll(() => page.getByRole("button", { name: "Sign out" }).count()).toBe(1);

      await page.goto(`${base}/t/pkmfa/account/security`);
      const add = page.getByRole("button", { name: "Add a passkey" });
      await poll(() => add.isVisible()).toBe(true);
      await check(page, "security-passkey-add");
      await page.getByLabel("Passkey name (optional)").fill("Laptop");
      await add.click();

      await poll(heading).toBe("Save your recovery codes");
      await expect(page.getByRole("status").textContent()).resolves.toContain("Your passkey is added.");
      recoveryCodes = (await page.locator("ul.codes li").allTextContents()).map((code) => code.trim());
      expect(recoveryCodes).toHaveLength(10);
      await check(page, "security-passkey-codes");
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      expect(credentials).toHaveLength(1);

      await page.getByRole("link", { name: "Back to account security" }).click();
      await poll(() => page.locator("ul.factors li strong").textContent()).toBe("Laptop");
      await page.getByText("Rename Laptop").click();
      await page.getByLabel("New name for Laptop").fill("Work laptop");
      await check(page, "security-passkey-rename");
      await page.getByRole("button", { name: "Save name" }).click();
      await poll(() => page.getByText("The passkey is renamed.").count()).toBe(1);
      await expect(page.locator("ul.factors li strong").textContent()).resolves.toBe("Work laptop");
      await check(page, "security-passkey-listed");

      await toSecondStep(page);
      const usePasskey = page.getByRole("button", { name: "Use a passkey" });
      await poll(() => usePasskey.isVisible()).toBe(true);
      // No authenticator app: the code field takes a recovery code.
      await expect(page.getByLabel("Recovery code").count()).resolves.toBe(1);
      await check(page, "login-mfa-passkey");
      await usePasskey.click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const claims = await flow.redeem(page, portal, "portal");
      expect(claims).toMatchObject({ amr: ["pwd", "hwk", "mfa"], acr: "urn:authority:mfa" });
    },
    PROCESS_TEST_MS,
  );

  it(
    "shows a refused assertion and a failed ceremony on the page; the right passkey still finishes the step",
    async () => {
      await toSecondStep(page);
      // The authenticator signs wrongly: the server refuses, and the attempt counts.
      await cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId, isBogusSignature: true });
      await page.getByRole("button", { name: "Use a passkey" }).click();
      await poll(() => page.getByRole("alert").textContent()).toContain("Verifying with your passkey did not work.");
      expect(new URL(page.url()).pathname).toBe("/t/pkmfa/login/mfa/passkey");
      await check(page, "login-mfa-passkey-refused");

      // No credential for the site on this authenticator: the browser's ceremony fails, the script says so.
      await cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId, isBogusSignature: false });
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      const [credential] = credentials;
      if (!credential) throw new Error("no credential");
      await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: credential.credentialId });
      await page.getByRole("button", { name: "Use a passkey" }).click();
      await poll(() => page.locator("[data-failed]").first().textContent()).toContain(
        "Verifying with your passkey did not work.",
      );
      await check(page, "login-mfa-passkey-failed");

      await cdp.send("WebAuthn.addCredential", { authenticatorId, credential });
      await page.getByRole("button", { name: "Use a passkey" }).click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      expect(await flow.redeem(page, portal, "portal")).toMatchObject({ amr: ["pwd", "hwk", "mfa"] });

      // Fresh from the passkey: it can be removed.
      await page.goto(`${base}/t/pkmfa/account/security`);
      await page.getByRole("button", { name: "Remove Work laptop" }).click();
      await poll(() => page.getByText("The factor is removed.").count()).toBe(1);
      await check(page, "security-passkey-removed");

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
    },
    PROCESS_TEST_MS,
  );

  it(
    "without JavaScript the second step hides the passkey and takes a recovery code",
    async () => {
      // A passkey again (the recovery codes of the first are still unused, so none are shown now).
      await page.goto(`${base}/t/pkmfa/account/security`);
      await page.getByRole("button", { name: "Add a passkey" }).click();
      await poll(() => page.getByText("Your passkey is added.").count()).toBe(1);

      const context = await browser.newContext({ javaScriptEnabled: false });
      const plain = await context.newPage();
      await toSecondStep(plain);
      await expect(plain.getByRole("button", { name: "Use a passkey" }).count()).resolves.toBe(0);
      await plain.getByLabel("Recovery code").fill(recoveryCodes[0] ?? "");
      await plain.getByRole("button", { name: "Verify" }).click();
      await poll(() => arrived(plain).pathname).toBe("/portal/cb");
      expect(await flow.redeem(plain, portal, "portal")).toMatchObject({ amr: ["pwd", "otp", "mfa"] });
      await context.close();
    },
    PROCESS_TEST_MS,
  );
});
