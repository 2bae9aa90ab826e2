import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import type { TestApp } from "../support/app.js";
import { pkce } from "../support/hosted.js";
import { check, type InProcessStage, poll, startInProcessStage, watchedPage } from "../support/hosted-chromium.js";

const TENANT = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft";
const CLIENT = "Ж".repeat(140);
/** 64 letters, `@`, a 63-letter label and `.example`: no line break opportunity anywhere (UAX #14 LB29). */
const EMAIL = `${"d".repeat(64)}@${"e".repeat(63)}.example`;
const APP = "https://app.example.com/cb";

let stage: InProcessStage;
let t: TestApp;
let browser: Browser;
let base: string;
let clientId: string;

beforeAll(async () => {
  stage = await startInProcessStage();
  ({ t, browser, base } = stage);
  const tenant = await t.services.tenants.create("reflow", TENANT);
  const { client } = await t.services.clients.create(tenant, {
    name: CLIENT,
    type: "public",
    redirectUris: [APP],
    scopes: ["openid", "profile"],
  });
  clientId = client.clientId;
  const signup = await appClient(t).signup("reflow", EMAIL);
  expect(signup.status, await signup.text()).toBe(201);
}, 60_000);
afterAll(async () => {
  await stage?.close();
});

describe("long unbroken names at 320 CSS pixels, in Chromium", () => {
  it("wrap inside the page: login, consent, signed-in and security pages do not scroll sideways", async () => {
    const { page, watch } = await watchedPage(browser, base, 320);
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: APP,
      scope: "openid profile",
      state: "s",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    await page.goto(`${base}/t/reflow/authorize?${query}`);
    await expect(page.locator(".brand bdi").textContent()).resolves.toBe(TENANT);
    await check(page, "reflow-login");

    await page.getByLabel("Email address").fill(EMAIL);
    await page.getByLabel("Password").fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await poll(() => page.url()).toContain("/t/reflow/consent?request=");
    await expect(page.locator("h1 > bdi").textContent()).resolves.toBe(CLIENT);
    await check(page, "reflow-consent");

    await page.goto(`${base}/t/reflow/login`);
    await expect(page.getByRole("button", { name: "Sign out" }).count()).resolves.toBe(1);
    await check(page, "reflow-signed-in");

    await page.goto(`${base}/t/reflow/account/security`);
    await expect(page.locator("p.muted bdi").textContent()).resolves.toBe(EMAIL);
    await check(page, "reflow-security");
    expect(watch).toEqual({ foreign: [], failed: [] });
  });
});
