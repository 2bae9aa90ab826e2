/**
 * The hosted login's second step in chromium on the built Node server: a
 * user with a TOTP authenticator signs in with the password, gets the code
 * page (axe-core clean, screenshot kept), is told off for a wrong code, and
 * with the right one arrives at the client whose ID token says mfa.
 */

import { existsSync } from "node:fs";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
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

const EMAIL = "mira@example.com";
const PASSWORD = "seven herons over the marsh";

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;
let browser: Browser;
let apps: Awaited<ReturnType<typeof startApps>>;
let flow: ReturnType<typeof codeFlow>;
let portal: string;
let secret: Uint8Array;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  const port = await freePort();
  server = await startNode(
    serverEnv(database.url, prefix, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }),
  );
  apps = await startApps();
  flow = codeFlow(server, "mfa", apps.base);
  const admin = adminHeaders(ADMIN_KEY);
  const tenant = await call(server, "/v1/admin/tenants", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ slug: "mfa", name: "Heron Bank" }),
  });
  expect(tenant.status, tenant.text).toBe(201);
  const client = await call(server, "/t/mfa/v1/admin/clients", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({
      type: "public",
      name: "Portal",
      redirect_uris: [`${apps.base}/portal/cb`],
      first_party: true,
    }),
  });
  expect(client.status, client.text).toBe(201);
  portal = client.json.client_id as string;

  // The user and their authenticator, through the JSON API.
  const json = { "Content-Type": "application/json" };
  const signup = await call(server, "/t/mfa/v1/signup", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  expect(signup.status, signup.text).toBe(201);
  const bearer = { ...json, Authorization: `Bearer ${signup.json.access_token as string}` };
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
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await cleanupNodes();
  await apps?.close();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
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
      await expect(page.getByRole("alert").textContent()).resolves.toContain("That code is wrong");
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
