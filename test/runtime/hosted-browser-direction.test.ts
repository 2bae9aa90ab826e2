import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import type { TestApp } from "../support/app.js";
import { pkce } from "../support/hosted.js";
import { check, type InProcessStage, poll, startInProcessStage, watchedPage } from "../support/hosted-chromium.js";

const EMAIL = "dana@example.com";
const APP = "https://app.example.com/cb";

let stage: InProcessStage;
let t: TestApp;
let browser: Browser;
let base: string;
let clientId: string;

beforeAll(async () => {
  stage = await startInProcessStage();
  ({ t, browser, base } = stage);
  // Through the services, as the names were stored before the admin routes refused them.
  const tenant = await t.services.tenants.create("bidi", "Acme\u202e Labs");
  const { client } = await t.services.clients.create(tenant, {
    name: "Cli\u2069\u202eent",
    type: "public",
    redirectUris: [APP],
    scopes: ["openid", "profile"],
  });
  clientId = client.clientId;
  expect((await appClient(t).signup("bidi", EMAIL)).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await stage?.close();
});

describe("direction controls in a stored name, in Chromium", () => {
  it("keep to the name's own letters: the consent heading reads left to right around it", async () => {
    const { page, watch } = await watchedPage(browser, base);
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: APP,
      scope: "openid profile",
      state: "s",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    await page.goto(`${base}/t/bidi/authorize?${query}`);
    await page.getByLabel("Email address").fill(EMAIL);
    await page.getByLabel("Password").fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await poll(() => page.url()).toContain("/t/bidi/consent?request=");

    // Where the name and each word after it are drawn: in reading order, left to right and line by line.
    const drawn = await page.evaluate(() => {
      const name = document.querySelector("h1 > bdi") as HTMLElement;
      const rest = name.nextSibling as Text;
      const box = ({ left, top }: DOMRect) => ({ left: Math.round(left), top: Math.round(top) });
      const words = [...(rest.textContent ?? "").matchAll(/\S+/g)].map((match) => {
        const range = document.createRange();
        range.setStart(rest, match.index);
        range.setEnd(rest, match.index + match[0].length);
        return { word: match[0], ...box(range.getBoundingClientRect()) };
      });
      return [{ word: name.textContent ?? "", ...box(name.getBoundingClientRect()) }, ...words];
    });
    expect(drawn.map((w) => w.word)).toEqual(["Cli\u202eent", "wants", "to", "access", "your", "account"]);
    const inReadingOrder = [...drawn].sort((a, b) => a.top - b.top || a.left - b.left);
    expect(inReadingOrder).toEqual(drawn);
    await check(page, "consent-direction-controls");
    expect(watch).toEqual({ foreign: [], failed: [] });
  });
});
