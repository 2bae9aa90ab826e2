/**
 * Double submits and dead ends of the hosted sign-in, in Chromium: a double
 * click on "Sign in" or "Allow" sends one form (forms.js) and lands at the
 * client with its code, one provider session made; Back to a sign-in that is
 * complete says so, with a link back to the application; an expired request
 * and a lost CSRF cookie link back to it too. Screenshots in test-artifacts/hosted/.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { registerClient } from "../support/hosted.js";
import {
  arrived,
  check,
  codeFlow,
  type InProcessStage,
  poll,
  startApps,
  startInProcessStage,
  watchedPage,
} from "../support/hosted-chromium.js";

const TENANT = "twice";
let stage: InProcessStage;
let t: TestApp;
let browser: Browser;
let base: string;
let apps: Awaited<ReturnType<typeof startApps>>;
let flow: ReturnType<typeof codeFlow>;
let tenantId: string;
let board: string;
let notes: string;
let n = 0;

beforeAll(async () => {
  stage = await startInProcessStage();
  ({ t, browser, base } = stage);
  apps = await startApps();
  flow = codeFlow({ base }, TENANT, apps.base);
  tenantId = (await appClient(t).createTenant(TENANT, { name: "Harbour Books" })).id;
  const request = t.app.request.bind(t.app);
  const client = (app: string, extra: Record<string, unknown>) =>
    registerClient(request, TENANT, { name: app, redirect_uris: [`${apps.base}/${app}/cb`], ...extra });
  board = (await client("board", { first_party: true })).client_id;
  notes = (await client("notes", { scopes: ["openid", "profile", "email"] })).client_id;
}, 60_000);
afterAll(async () => {
  await apps?.close();
  await stage?.close();
});

/** A new user, and a page at the login page of a request of `clientId` (app `app`). */
async function atLogin(clientId: string, app: string) {
  const email = `reader-${n++}@example.com`;
  const signup = await appClient(t).signup(TENANT, email);
  const userId = ((await signup.json()) as { user: { id: string } }).user.id;
  const { page, watch } = await watchedPage(browser, base);
  await page.goto(flow.authorizeUrl(clientId, app));
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(GOOD_PASSWORD);
  return { page, watch, userId, requestId: arrived(page).searchParams.get("request") ?? "" };
}

const sessionsOf = async (userId: string) => {
  const response = await t.app.request(`/t/${TENANT}/v1/admin/users/${userId}/sessions`, {
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });
  return ((await response.json()) as { sessions: unknown[] }).sessions.length;
};

/**
 * Clicks the button twice, the second time while the first submit waits for
 * its answer (the password's hash takes longer than that): a double click
 * as a person makes it, not the one event Chromium makes of a synthetic one.
 */
const clickTwice = (page: Page, name: string) =>
  page.getByRole("button", { name, exact: true }).evaluate((button: HTMLButtonElement) => {
    button.click();
    setTimeout(() => button.click(), 30);
  });

const returnLink = (page: Page) => page.getByRole("link", { name: "Return to the application" });

describe("double submits and dead ends of the hosted sign-in, in Chromium", () => {
  it("a double click on Sign in: at the client with a code, one session; Back says the sign-in is complete", async () => {
    const { page, watch, userId } = await atLogin(board, "board");
    const before = await sessionsOf(userId);
    await clickTwice(page, "Sign in");
    await poll(() => arrived(page).pathname).toBe("/board/cb");
    expect(arrived(page).searchParams.get("code")).toBeTruthy();
    expect(await sessionsOf(userId)).toBe(before + 1);

    await page.goBack();
    await expect(page.getByRole("status").textContent()).resolves.toBe("This sign-in is already complete.");
    await check(page, "request-complete");
    await returnLink(page).click();
    await poll(() => arrived(page).pathname).toBe("/");
    expect(watch).toEqual({ foreign: [], failed: [] });
  });

  it("a double click on Allow: one code at the client (the decision is sent)", async () => {
    const { page, watch } = await atLogin(notes, "notes");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await poll(() => arrived(page).pathname).toBe(`/t/${TENANT}/consent`);
    await clickTwice(page, "Allow");
    await poll(() => arrived(page).pathname).toBe("/notes/cb");
    expect(arrived(page).searchParams.get("code")).toBeTruthy();
    expect(watch).toEqual({ foreign: [], failed: [] });
  });

  it("an expired request and a lost CSRF cookie: a page with the way back to the application", async () => {
    const { page, requestId } = await atLogin(board, "board");
    await page.context().clearCookies();
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toBe(
      "This form has expired or was not sent from this page. Go back to the application and sign in again.",
    );
    await check(page, "csrf-refused");
    await expect(returnLink(page).getAttribute("href")).resolves.toBe(`${apps.base}/`);

    const again = await atLogin(board, "board");
    await t.deps.kv.del(`authz-request:${tenantId}:${again.requestId}`);
    await again.page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(again.page.getByRole("alert").textContent()).resolves.toBe(
      "This sign-in took too long and has expired.",
    );
    await check(again.page, "request-expired");
    await expect(returnLink(again.page).getAttribute("href")).resolves.toBe(`${apps.base}/`);
    expect(requestId).not.toBe(again.requestId);
  });
});
