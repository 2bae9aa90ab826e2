/**
 * The hosted pages in a real browser (Debian's chromium driven by
 * playwright-core) on the built Node server, with mail through a real SMTP
 * server: sign-up, consent, SSO into a second client without a password,
 * RP-initiated logout, password reset from the mailed link, and the
 * verification link (each redirecting to its done page, a spent link an
 * error at once), the sign-up of a taken address. Every page passes axe-core with no serious or critical
 * violation, breaks no CSP rule, loads nothing from another origin, and fits
 * a 375 px wide screen. The server's PUBLIC_URL is its own address, so
 * mailed links reach it. Screenshots are kept in test-artifacts/hosted/; the
 * upstream buttons are in hosted-browser-federation.test.ts.
 */

import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrived,
  CHROMIUM,
  check,
  codeFlow,
  launchChromium,
  poll,
  startApps,
  watchedPage,
} from "../support/hosted-chromium.js";
import { freePort } from "../support/ports.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  ADMIN_KEY,
  adminHeaders,
  call,
  cleanupNodes,
  ENTRY,
  type NodeProcess,
  PROCESS_TEST_MS,
  serverEnv,
  startNode,
} from "../support/runtime-node.js";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp-server.js";

const EMAIL = "nadia@example.com";
const PASSWORD = "a quiet harbour at dawn";
const NEW_PASSWORD = "lanterns over the frozen lake";

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;
let smtp: TestSmtpServer;
let browser: Browser;
let apps: Awaited<ReturnType<typeof startApps>>;
let flow: ReturnType<typeof codeFlow>;
let photos: string;
let portal: string;
let publicUrl: string;

async function registerClient(body: Record<string, unknown>): Promise<string> {
  const answer = await call(server, "/t/hosted/v1/admin/clients", {
    method: "POST",
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify({ type: "public", ...body }),
  });
  expect(answer.status, answer.text).toBe(201);
  return answer.json.client_id as string;
}

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  smtp = await startSmtpServer();
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  server = await startNode(
    serverEnv(database.url, prefix, {
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      SMTP_URL: smtp.url,
      MAIL_FROM: "auth@example.com",
    }),
  );
  apps = await startApps();
  flow = codeFlow(server, "hosted", apps.base);
  const tenant = await call(server, "/v1/admin/tenants", {
    method: "POST",
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify({ slug: "hosted", name: "Harbour Books" }),
  });
  expect(tenant.status, tenant.text).toBe(201);
  const branding = await call(server, "/t/hosted/v1/admin/branding", {
    method: "PUT",
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify({ logo_url: null, accent_color: "#0f766e", language: "en" }),
  });
  expect(branding.status, branding.text).toBe(200);
  photos = await registerClient({
    name: "Photo Printer",
    redirect_uris: [`${apps.base}/photos/cb`],
    scopes: ["openid", "profile", "email"],
  });
  portal = await registerClient({
    name: "Portal",
    redirect_uris: [`${apps.base}/portal/cb`],
    post_logout_redirect_uris: [`${apps.base}/bye`],
    first_party: true,
  });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await cleanupNodes();
  await apps?.close();
  await smtp?.close();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

/** A mailed link of the service (mails name PUBLIC_URL, the server's own address here). */
function mailedLink(text: string, path: string): string {
  const link = new RegExp(`${publicUrl}/t/hosted/${path}\\?token=[A-Za-z0-9_%.~-]+`).exec(text)?.[0];
  expect(link, text).toBeDefined();
  return link as string;
}

/** Presses "Sign out" on the confirmation page: back at the registered URI with `state`, and signed out for good. */
async function confirmSignOut(page: Page, state: string): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await poll(() => arrived(page).pathname).toBe("/bye");
  expect(arrived(page).searchParams.get("state")).toBe(state);
  await page.goto(flow.authorizeUrl(portal, "portal", { prompt: "none" }));
  await poll(() => arrived(page).searchParams.get("error")).toBe("login_required");
}

describe("hosted pages in chromium", () => {
  it(
    "sign-up, consent, SSO into a second client, logout, reset by mail, verification",
    async () => {
      const { page, watch } = await watchedPage(browser, server.base);

      // 1. The application sends the browser to authorize: no session, so the login page.
      await page.goto(flow.authorizeUrl(photos, "photos"));
      await poll(() => page.url()).toContain("/t/hosted/login?request=");
      await expect(page.getByLabel("Email address").isVisible()).resolves.toBe(true);
      await check(page, "login");

      // Keyboard order: email, password, the button, then the links.
      await page.getByLabel("Email address").focus();
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("password");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Sign in");

      // 2. Sign-up from the login page, within the same authorization request.
      await page.getByRole("link", { name: "Create an account" }).click();
      await check(page, "signup");
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Name (optional)").fill("Nadia");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();

      // 3. A third-party client: the consent page.
      await poll(() => page.url()).toContain("/t/hosted/consent?request=");
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
        "Photo Printer wants to access your account",
      );
      await check(page, "consent");
      await page.getByRole("button", { name: "Allow" }).click();
      await poll(() => arrived(page).pathname).toBe("/photos/cb");
      expect(arrived(page).searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(arrived(page).searchParams.get("state")).toBe("state-photos");
      expect(arrived(page).searchParams.get("iss")).toBe(`${publicUrl}/t/hosted`);
      const first = await flow.redeem(page, photos, "photos");
      expect(first).toMatchObject({ aud: photos, nonce: "n-1", amr: ["pwd"] });

      // 4. SSO: the first-party portal signs in without a password or a page.
      await page.goto(flow.authorizeUrl(portal, "portal"));
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const second = await flow.redeem(page, portal, "portal");
      // One provider session behind both: the same sid, the same login time.
      expect(second).toMatchObject({ aud: portal, sub: first.sub, sid: first.sid, auth_time: first.auth_time });

      // 5. The verification mail sent at sign-up: its link shows a button and verifies only when pressed.
      const verifyMail = await smtp.waitFor(
        (mail) => mail.to.includes(EMAIL) && /Confirm your email/.test(mail.subject),
      );
      const verifyLink = mailedLink(verifyMail.text, "email/verify");
      await page.goto(verifyLink);
      await check(page, "verify-email");
      await page.getByRole("button", { name: "Confirm email address" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("your email address is confirmed");
      // POST/Redirect/GET: a reload asks for the done page again, not the spent link.
      expect(arrived(page).pathname).toBe("/t/hosted/email/verify/done");
      await page.reload();
      await expect(page.getByRole("status").textContent()).resolves.toContain("your email address is confirmed");
      await check(page, "verify-email-done");
      // The spent link, opened again, says so at once.
      await page.goto(verifyLink);
      await expect(page.getByRole("alert").textContent()).resolves.toBe(
        "This link is unknown, already used or expired.",
      );
      await check(page, "verify-email-dead");

      // 6. RP-initiated logout without an id_token_hint: confirm, then back to the registered URI.
      const logout = new URLSearchParams({
        client_id: portal,
        post_logout_redirect_uri: `${apps.base}/bye`,
        state: "bye-state",
      });
      await page.goto(`${server.base}/t/hosted/logout?${logout}`);
      await check(page, "logout");
      await confirmSignOut(page, "bye-state");

      // 7. Password reset with the mailed link.
      await page.goto(`${server.base}/t/hosted/login`);
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await check(page, "forgot");
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByRole("button", { name: "Send the link" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("a link to reset its password");
      await check(page, "forgot-sent");
      const resetMail = await smtp.waitFor((mail) => mail.to.includes(EMAIL) && /Reset your/.test(mail.subject));
      const resetLink = mailedLink(resetMail.text, "password/reset");
      await page.goto(resetLink);
      await check(page, "reset");
      // The account, for password managers: shown, sent, not editable.
      const username = page.getByLabel("Email address");
      await expect(username.inputValue()).resolves.toBe(EMAIL);
      await expect(username.getAttribute("autocomplete")).resolves.toBe("username");
      await expect(username.isEditable()).resolves.toBe(false);
      await expect(page.getByLabel("New password").getAttribute("autocomplete")).resolves.toBe("new-password");
      await page.getByLabel("New password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Set the password" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("Your password is set.");
      expect(arrived(page).pathname).toBe("/t/hosted/password/reset/done");
      await page.reload();
      await expect(page.getByRole("status").textContent()).resolves.toContain("Your password is set.");
      await check(page, "reset-done");
      // The spent link: an error at once, and the way to a new one.
      await page.goto(resetLink);
      await expect(page.getByRole("alert").textContent()).resolves.toBe(
        "This link is unknown, already used or expired.",
      );
      await check(page, "reset-dead");
      await page.getByRole("link", { name: "Ask for a new link" }).click();
      // Its load event: the next goto would abort the stylesheet still loading.
      await page.waitForURL(`${server.base}/t/hosted/password/forgot`);
      await page.goto(`${server.base}/t/hosted/password/reset/done`);
      await page.getByRole("link", { name: "Sign in" }).click();

      // 8. The old password fails (the error is shown and announced); the new one signs in.
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toBe("The email address or password is wrong.");
      await check(page, "login-error");
      await page.getByLabel("Password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain(`You are signed in as ${EMAIL}.`);
      await check(page, "signed-in");

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS * 2,
  );

  it(
    "RP-initiated logout by a form POST from another site: asks on this site, then signs out",
    async () => {
      const email = "logout-post@example.com";
      const signup = await call(server, "/t/hosted/v1/signup", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(signup.status, signup.text).toBe(201);
      const { page, watch } = await watchedPage(browser, server.base);
      await page.goto(flow.authorizeUrl(portal, "portal"));
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      await flow.redeem(page, portal, "portal");

      // The app's page, of an opaque origin (so another site): a form POST of the logout request (§2).
      const fields = {
        id_token_hint: flow.idToken,
        post_logout_redirect_uri: `${apps.base}/bye`,
        state: "post-state",
      };
      const inputs = Object.entries(fields)
        .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
        .join("");
      await page.goto("about:blank");
      await page.setContent(
        `<form method="post" action="${server.base}/t/hosted/logout">${inputs}<button>Log out</button></form>`,
      );
      await page.getByRole("button", { name: "Log out" }).click();
      // The provider's cookie stayed behind (SameSite=Lax), so the user is asked, on the provider's page.
      await poll(() => new URL(page.url()).pathname).toBe("/t/hosted/logout");
      await check(page, "logout-post");
      await confirmSignOut(page, "post-state");
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );

  it(
    "fits a 375 px wide phone screen",
    async () => {
      const { page, watch } = await watchedPage(browser, server.base, 375);
      await page.goto(flow.authorizeUrl(photos, "photos"));
      await poll(() => page.url()).toContain("/t/hosted/login?request=");
      await check(page, "login-375");
      await page.getByRole("link", { name: "Create an account" }).click();
      await check(page, "signup-375");

      // An address that has an account: links to sign in (within the same request) or reset its password.
      const email = "taken-375@example.com";
      const signup = await call(server, "/t/hosted/v1/signup", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(signup.status, signup.text).toBe(201);
      const requestId = arrived(page).searchParams.get("request");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
      const alert = page.getByRole("alert");
      await expect(alert.textContent()).resolves.toBe(
        "An account with this email address exists. Sign in instead, or reset its password.",
      );
      await check(page, "signup-taken-375");
      await expect(alert.getByRole("link", { name: "reset its password" }).getAttribute("href")).resolves.toBe(
        "/t/hosted/password/forgot",
      );
      await alert.getByRole("link", { name: "Sign in" }).click();
      await poll(() => arrived(page).pathname).toBe("/t/hosted/login");
      expect(arrived(page).searchParams.get("request")).toBe(requestId);
      expect(watch.foreign).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );
});
