/**
 * The hosted pages in a real browser (Debian's chromium driven by
 * playwright-core) on the built Node server, with mail through a real SMTP
 * server: sign-up, consent, SSO into a second client without a password,
 * RP-initiated logout, password reset from the mailed link, and the
 * verification link. Every page passes axe-core with no serious or critical
 * violation, breaks no CSP rule, loads nothing from another origin, and fits
 * a 375 px wide screen. The login page's upstream button goes through a
 * local OpenID provider and back (cross-site redirects, SameSite=Lax
 * cookies). The server's PUBLIC_URL is its own address, so mailed links and
 * upstream callbacks reach it. Screenshots are kept in test-artifacts/hosted/.
 */

import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import axe from "axe-core";
import { decodeJwt } from "jose";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.js";
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

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/hosted/", import.meta.url));
const EMAIL = "nadia@example.com";
const PASSWORD = "a quiet harbour at dawn";
const NEW_PASSWORD = "lanterns over the frozen lake";

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;
let smtp: TestSmtpServer;
let browser: Browser;
let apps: Server;
let appBase: string;
let photos: string;
let portal: string;
let idp: FakeOidc;
let publicUrl: string;

/** The client applications: they only show where the browser arrived. */
async function startApps(): Promise<void> {
  apps = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><title>App</title><h1>Back at ${req.url?.split("?")[0]}</h1></html>`);
  });
  await new Promise<void>((resolve) => apps.listen(0, "127.0.0.1", resolve));
  appBase = `http://127.0.0.1:${(apps.address() as AddressInfo).port}`;
}

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
  idp = await startFakeOidc("hosted-client", "hosted-secret");
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
  await startApps();
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
  const provider = await call(server, "/t/hosted/v1/admin/oauth-providers/idp", {
    method: "PUT",
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify({ client_id: "hosted-client", client_secret: "hosted-secret", issuer: idp.issuer }),
  });
  expect(provider.status, provider.text).toBe(200);
  photos = await registerClient({
    name: "Photo Printer",
    redirect_uris: [`${appBase}/photos/cb`],
    scopes: ["openid", "profile", "email"],
  });
  portal = await registerClient({
    name: "Portal",
    redirect_uris: [`${appBase}/portal/cb`],
    post_logout_redirect_uris: [`${appBase}/bye`],
    first_party: true,
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await cleanupNodes();
  await new Promise((resolve) => apps?.close(resolve));
  await smtp?.close();
  await idp?.close();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

/** The verifier of the last authorization request (the app keeps it for the code exchange). */
let verifier = "";

function authorizeUrl(clientId: string, app: string, extra: Record<string, string> = {}): string {
  verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: `${appBase}/${app}/cb`,
    scope: "openid profile email",
    state: `state-${app}`,
    nonce: "n-1",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    ...extra,
  });
  return `${server.base}/t/hosted/authorize?${query}`;
}

/** Problems a page caused: CSP violations (recorded by an init script outside the page's CSP) and foreign requests. */
interface Watch {
  foreign: string[];
  failed: string[];
}

async function watchedPage(width = 1024): Promise<{ page: Page; watch: Watch }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const watch: Watch = { foreign: [], failed: [] };
  const allowed = [new URL(server.base).origin, appBase, new URL(idp.issuer).origin];
  page.on("request", (request) => {
    const url = request.url();
    if (!allowed.some((origin) => url.startsWith(origin))) watch.foreign.push(url);
  });
  page.on("requestfailed", (request) => {
    if (!request.url().endsWith("/favicon.ico")) watch.failed.push(`${request.url()}: ${request.failure()?.errorText}`);
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) =>
      seen.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`),
    );
  });
  return { page, watch };
}

/**
 * axe-core on the page as it is (WCAG 2.1 A/AA rules): no serious or
 * critical violation; then no CSP violation so far, a layout that fits the
 * viewport, and a screenshot.
 */
async function check(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol, as a tester's console would: the page's CSP allows no script.
  await page.evaluate(axe.source);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    }),
  )) as axe.AxeResults;
  const serious = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(serious, `${name}: ${serious.join("\n")}`).toEqual([]);
  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  expect(violations, name).toEqual([]);
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth, `${name} scrolls sideways`).toBeLessThanOrEqual(clientWidth);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The app's back channel: the code for tokens at the token endpoint; resolves the ID token's claims. */
async function redeem(page: Page, clientId: string, app: string): Promise<Record<string, unknown>> {
  const answer = await call(server, "/t/hosted/oauth2/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: arrived(page).searchParams.get("code") ?? "",
      redirect_uri: `${appBase}/${app}/cb`,
      code_verifier: verifier,
      client_id: clientId,
    }).toString(),
  });
  expect(answer.status, answer.text).toBe(200);
  return decodeJwt(answer.json.id_token as string);
}

/** Navigations take their time on a loaded machine: a poll waits up to 15 s (the default is 1 s). */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

/** The page's URL as the client app saw it. */
const arrived = (page: Page) => new URL(page.url());

/** A mailed link of the service (mails name PUBLIC_URL, the server's own address here). */
function mailedLink(text: string, path: string): string {
  const link = new RegExp(`${publicUrl}/t/hosted/${path}\\?token=[A-Za-z0-9_%.~-]+`).exec(text)?.[0];
  expect(link, text).toBeDefined();
  return link as string;
}

describe("hosted pages in chromium", () => {
  it(
    "sign-up, consent, SSO into a second client, logout, reset by mail, verification",
    async () => {
      const { page, watch } = await watchedPage();

      // 1. The application sends the browser to authorize: no session, so the login page.
      await page.goto(authorizeUrl(photos, "photos"));
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
      const first = await redeem(page, photos, "photos");
      expect(first).toMatchObject({ aud: photos, nonce: "n-1", amr: ["pwd"] });

      // 4. SSO: the first-party portal signs in without a password or a page.
      await page.goto(authorizeUrl(portal, "portal"));
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const second = await redeem(page, portal, "portal");
      // One provider session behind both: the same sid, the same login time.
      expect(second).toMatchObject({ aud: portal, sub: first.sub, sid: first.sid, auth_time: first.auth_time });

      // 5. The verification mail sent at sign-up: its link shows a button and verifies only when pressed.
      const verifyMail = await smtp.waitFor(
        (mail) => mail.to.includes(EMAIL) && /Confirm your email/.test(mail.subject),
      );
      await page.goto(mailedLink(verifyMail.text, "email/verify"));
      await check(page, "verify-email");
      await page.getByRole("button", { name: "Confirm email address" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("your email address is confirmed");
      await check(page, "verify-email-done");

      // 6. RP-initiated logout without an id_token_hint: confirm, then back to the registered URI.
      const logout = new URLSearchParams({
        client_id: portal,
        post_logout_redirect_uri: `${appBase}/bye`,
        state: "bye-state",
      });
      await page.goto(`${server.base}/t/hosted/logout?${logout}`);
      await check(page, "logout");
      await page.getByRole("button", { name: "Sign out" }).click();
      await poll(() => arrived(page).pathname).toBe("/bye");
      expect(arrived(page).searchParams.get("state")).toBe("bye-state");
      await page.goto(authorizeUrl(portal, "portal", { prompt: "none" }));
      await poll(() => arrived(page).searchParams.get("error")).toBe("login_required");

      // 7. Password reset with the mailed link.
      await page.goto(`${server.base}/t/hosted/login`);
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await check(page, "forgot");
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByRole("button", { name: "Send the link" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("a link to reset its password");
      await check(page, "forgot-sent");
      const resetMail = await smtp.waitFor((mail) => mail.to.includes(EMAIL) && /Reset your/.test(mail.subject));
      await page.goto(mailedLink(resetMail.text, "password/reset"));
      await check(page, "reset");
      await page.getByLabel("New password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Set the password" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("Your password is set.");
      await page.getByRole("link", { name: "Sign in" }).click();

      // 8. The old password fails (the error is shown and announced); the new one signs in.
      await page.getByLabel("Email address").fill(EMAIL);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toBe("The email address or password is wrong.");
      await check(page, "login-error");
      await page.getByLabel("Password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain(`You are signed in as ${EMAIL}.`);
      await check(page, "signed-in");

      expect(watch.foreign).toEqual([]);
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS * 2,
  );

  it(
    "signs in through the login page's upstream button and comes back into the authorization",
    async () => {
      idp.state.nextUser = { sub: "up-1", email: "omar@idp.example", email_verified: true, name: "Omar" };
      const { page, watch } = await watchedPage();
      await page.goto(authorizeUrl(portal, "portal"));
      await poll(() => page.url()).toContain("/t/hosted/login?request=");
      await check(page, "login-with-upstream");
      await page.getByRole("link", { name: "Continue with Idp" }).click();
      await poll(() => arrived(page).pathname).toBe("/portal/cb");
      const claims = await redeem(page, portal, "portal");
      expect(claims).toMatchObject({ aud: portal, amr: ["oauth"] });
      expect(watch.failed).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );

  it(
    "fits a 375 px wide phone screen",
    async () => {
      const { page, watch } = await watchedPage(375);
      await page.goto(authorizeUrl(photos, "photos"));
      await poll(() => page.url()).toContain("/t/hosted/login?request=");
      await check(page, "login-375");
      await page.getByRole("link", { name: "Create an account" }).click();
      await check(page, "signup-375");
      expect(watch.foreign).toEqual([]);
      await page.close();
    },
    PROCESS_TEST_MS,
  );
});
