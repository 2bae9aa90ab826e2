import { decodeJwt } from "jose";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, type TokenBody } from "../support/accounts.js";
import type { TestApp } from "../support/app.js";
import { type InProcessStage, startInProcessStage } from "../support/hosted-chromium.js";

let stage: InProcessStage;
let t: TestApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  stage = await startInProcessStage();
  ({ t, browser, base } = stage);
  await appClient(t).createTenant("browser");
}, 60_000);
afterAll(async () => {
  await stage?.close();
});

/** A page of the service's origin with a virtual platform authenticator attached. */
async function pageWithAuthenticator(): Promise<{ page: Page; credentials: () => Promise<unknown[]> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  // The service's own responses forbid scripts to fetch (CSP default-src 'none'), so the page the
  // ceremonies run on is a blank document the browser is handed at the service's origin.
  await page.route(`${base}/passkey-test`, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>passkeys</title>" }),
  );
  await page.goto(`${base}/passkey-test`);
  return {
    page,
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
  };
}

describe("Passkeys in Chromium (CDP virtual authenticator)", () => {
  it("registers a passkey for a logged-in user and logs in with it without a password", async () => {
    const signup = await appClient(t).signup("browser", "vera@example.com");
    const user = (await signup.json()) as TokenBody & { user: { id: string } };
    const { page, credentials } = await pageWithAuthenticator();

    const registered = await page.evaluate(async (token) => {
      const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
      const options = (await (
        await fetch("/t/browser/v1/mfa/passkeys/registration/options", { method: "POST", headers })
      ).json()) as PublicKeyCredentialCreationOptionsJSON;
      const credential = (await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
      })) as PublicKeyCredential;
      const answer = await fetch("/t/browser/v1/mfa/passkeys/registration", {
        method: "POST",
        headers,
        body: JSON.stringify({ response: credential.toJSON(), name: "Virtual" }),
      });
      return { status: answer.status, body: await answer.json() };
    }, user.access_token);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject({ name: "Virtual", device_type: "singleDevice", backed_up: false });
    expect(await credentials()).toMatchObject([{ isResidentCredential: true, rpId: "localhost", signCount: 1 }]);

    const login = async () =>
      page.evaluate(async () => {
        const options = await fetch("/t/browser/v1/passkeys/authentication/options", { method: "POST" });
        const started = (await options.json()) as {
          challenge_id: string;
          options: PublicKeyCredentialRequestOptionsJSON;
        };
        const assertion = (await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(started.options),
        })) as PublicKeyCredential;
        const answer = await fetch("/t/browser/v1/passkeys/authentication", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ challenge_id: started.challenge_id, response: assertion.toJSON() }),
        });
        const body = (await answer.json()) as { access_token: string };
        return { status: answer.status, body, allowed: started.options.allowCredentials };
      });
    const first = await login();
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.allowed ?? []).toEqual([]);
    expect(decodeJwt(first.body.access_token)).toMatchObject({ sub: user.user.id, amr: ["hwk", "mfa"] });
    // The virtual authenticator counts its signatures; a second login moves the stored counter on.
    expect((await login()).status).toBe(200);
    const tenant = await t.deps.db.tenants.findBySlug("browser");
    const stored = await t.deps.db.passkeys.listOfUser(tenant?.id ?? "", user.user.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.counter).toBe(((await credentials())[0] as { signCount: number }).signCount);
    expect(stored[0]?.lastUsedAt).toBeInstanceOf(Date);
  });
});
