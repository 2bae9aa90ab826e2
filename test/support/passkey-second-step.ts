/**
 * One scenario of hosted passkeys as the login's second step, run on both
 * runtimes (hosted-browser-passkey-mfa.test.ts on Node,
 * worker-hosted-browser-mfa.test.ts on the Worker), in chromium with a CDP
 * virtual authenticator (CTAP2, internal, resident keys, user verification):
 * a user signed in with the password adds a passkey by name on the security
 * page (recovery codes shown once), renames it; then a login through
 * /authorize asks for the second step and "Use a passkey" ends at the client
 * with amr pwd+hwk+mfa. An authenticator that signs wrongly is refused on the
 * page, one that has no credential is told apart by the script, and the right
 * one still works; the passkey is removed (from the device too); without
 * JavaScript the page takes a recovery code. Every page axe-core clean,
 * screenshots kept, the Worker's named worker-*.
 */
import type { CDPSession, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { arrived, type ChromiumStage, check, poll, type Runtime, type Watch, watchedPage } from "./hosted-chromium.js";
import { PROCESS_TEST_MS } from "./runtime-node.js";

/** Where the scenario runs, read once the caller's beforeAll has started the stage. */
export interface PasskeyStepSetting {
  stage: ChromiumStage;
  slug: string;
  /** The client_id of the first-party app "portal". */
  portal: string;
}

/** What the scenario leaves behind: a page whose authenticator holds the user's one passkey (unnamed). */
export interface PasskeyStepUser {
  userId: string;
  page: Page;
  watch: Watch;
}

/**
 * Defines the scenario's tests for `email` at the stage `setting()` names;
 * resolves, after them, the user and the page signed in with the passkey.
 */
export function describePasskeySecondStep(
  runtime: Runtime,
  setting: () => PasskeyStepSetting,
  email: string,
  password: string,
): () => PasskeyStepUser {
  const shot = (name: string) => (runtime === "worker" ? `worker-${name}` : name);
  let stage: ChromiumStage;
  let slug: string;
  let portal: string;
  let userId: string;
  /** One browser page and its authenticator through the tests, in order. */
  let page: Page;
  let watch: Watch;
  let cdp: CDPSession;
  let authenticatorId: string;
  let recoveryCodes: string[] = [];

  const heading = () => page.getByRole("heading", { level: 1 }).textContent();
  const credentials = async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;

  /** Through /authorize (prompt=login) with the password, to the second step's page. */
  async function toSecondStep(at: Page) {
    await at.goto(stage.flow.authorizeUrl(portal, "portal", { prompt: "login" }));
    await poll(() => at.url()).toContain(`/t/${slug}/login?request=`);
    await at.getByLabel("Email address").fill(email);
    await at.getByLabel("Password").fill(password);
    await at.getByRole("button", { name: "Sign in", exact: true }).click();
    await poll(() => at.url()).toContain(`/t/${slug}/login/mfa?request=`);
  }

  describe(`hosted passkeys as a second factor in chromium on ${runtime === "worker" ? "the Worker" : "Node"}`, () => {
    beforeAll(async () => {
      ({ stage, slug, portal } = setting());
      userId = ((await stage.signUp(email, password)).user as { id: string }).id;
      ({ page, watch } = await watchedPage(stage.browser, stage.base));
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
    }, 30_000);

    it(
      "adds and renames a passkey on the security page, then a login's second step with it: amr pwd+hwk+mfa",
      async () => {
        await page.goto(`${stage.base}/t/${slug}/login`);
        await page.getByLabel("Email address").fill(email);
        await page.getByLabel("Password").fill(password);
        await page.getByRole("button", { name: "Sign in", exact: true }).click();
        await poll(() => page.getByRole("button", { name: "Sign out" }).count()).toBe(1);

        await page.goto(`${stage.base}/t/${slug}/account/security`);
        const add = page.getByRole("button", { name: "Add a passkey" });
        await poll(() => add.isVisible()).toBe(true);
        await check(page, shot("security-passkey-add"));
        await page.getByLabel("Passkey name (optional)").fill("Laptop");
        await add.click();

        await poll(heading).toBe("Save your recovery codes");
        await expect(page.getByRole("status").textContent()).resolves.toContain("Your passkey is added.");
        recoveryCodes = (await page.locator("ul.codes li").allTextContents()).map((code) => code.trim());
        expect(recoveryCodes).toHaveLength(10);
        await check(page, shot("security-passkey-codes"));
        await expect(credentials()).resolves.toHaveLength(1);

        await page.getByRole("link", { name: "Back to account security" }).click();
        await poll(() => page.locator("ul.factors li strong").textContent()).toBe("Laptop");
        await page.getByText("Rename Laptop").click();
        await page.getByLabel("New name for Laptop").fill("Work laptop");
        await check(page, shot("security-passkey-rename"));
        await page.getByRole("button", { name: "Save name" }).click();
        await poll(() => page.getByText("The passkey is renamed.").count()).toBe(1);
        await expect(page.locator("ul.factors li strong").textContent()).resolves.toBe("Work laptop");
        await check(page, shot("security-passkey-listed"));

        await toSecondStep(page);
        const usePasskey = page.getByRole("button", { name: "Use a passkey" });
        await poll(() => usePasskey.isVisible()).toBe(true);
        // No authenticator app: the code field takes a recovery code.
        await expect(page.getByLabel("Recovery code").count()).resolves.toBe(1);
        await check(page, shot("login-mfa-passkey"));
        await usePasskey.click();
        await poll(() => arrived(page).pathname).toBe("/portal/cb");
        const claims = await stage.flow.redeem(page, portal, "portal");
        expect(claims).toMatchObject({ sub: userId, amr: ["pwd", "hwk", "mfa"], acr: "urn:authority:mfa" });
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
        expect(new URL(page.url()).pathname).toBe(`/t/${slug}/login/mfa/passkey`);
        await check(page, shot("login-mfa-passkey-refused"));

        // No credential for the site on this authenticator: the browser's ceremony fails, the script says so.
        await cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId, isBogusSignature: false });
        const [credential] = await credentials();
        if (!credential) throw new Error("no credential");
        await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: credential.credentialId });
        await page.getByRole("button", { name: "Use a passkey" }).click();
        await poll(() => page.locator("[data-failed]").first().textContent()).toContain(
          "Verifying with your passkey did not work.",
        );
        await check(page, shot("login-mfa-passkey-failed"));

        await cdp.send("WebAuthn.addCredential", { authenticatorId, credential });
        await page.getByRole("button", { name: "Use a passkey" }).click();
        await poll(() => arrived(page).pathname).toBe("/portal/cb");
        expect(await stage.flow.redeem(page, portal, "portal")).toMatchObject({ amr: ["pwd", "hwk", "mfa"] });

        // Fresh from the passkey: it can be removed; the device forgets it too, as its owner would.
        await page.goto(`${stage.base}/t/${slug}/account/security`);
        await page.getByRole("button", { name: "Remove Work laptop" }).click();
        await poll(() => page.getByText("The factor is removed.").count()).toBe(1);
        await check(page, shot("security-passkey-removed"));
        await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: credential.credentialId });

        expect(watch.foreign).toEqual([]);
        expect(watch.failed).toEqual([]);
      },
      PROCESS_TEST_MS,
    );

    it(
      "without JavaScript the second step hides the passkey and takes a recovery code",
      async () => {
        // A passkey again: the last factor's removal took the old recovery codes, so new ones are shown.
        await page.goto(`${stage.base}/t/${slug}/account/security`);
        await page.getByRole("button", { name: "Add a passkey" }).click();
        await poll(heading).toBe("Save your recovery codes");
        const renewed = (await page.locator("ul.codes li").allTextContents()).map((code) => code.trim());
        expect(renewed).toHaveLength(10);
        expect(renewed).not.toContain(recoveryCodes[0]);
        recoveryCodes = renewed;
        await expect(credentials()).resolves.toHaveLength(1);

        const context = await stage.browser.newContext({ javaScriptEnabled: false });
        const plain = await context.newPage();
        await toSecondStep(plain);
        await expect(plain.getByRole("button", { name: "Use a passkey" }).count()).resolves.toBe(0);
        await plain.getByLabel("Recovery code").fill(recoveryCodes[0] ?? "");
        await plain.getByRole("button", { name: "Verify" }).click();
        await poll(() => arrived(plain).pathname).toBe("/portal/cb");
        expect(await stage.flow.redeem(plain, portal, "portal")).toMatchObject({ amr: ["pwd", "otp", "mfa"] });
        await context.close();
      },
      PROCESS_TEST_MS,
    );
  });

  return () => ({ userId, page, watch });
}
