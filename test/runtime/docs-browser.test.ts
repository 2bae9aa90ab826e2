/**
 * /docs in a real browser (Debian's chromium driven by playwright-core) on the
 * built Node server: every request the page makes goes to the server's own
 * origin, the CSP reports no violation, and Swagger UI renders the operations.
 * The screenshot is kept in test-artifacts/docs.png.
 */

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, poll, watchedPage } from "../support/hosted-chromium.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  cleanupNodes,
  ENTRY,
  type NodeProcess,
  PROCESS_TEST_MS,
  serverEnv,
  startNode,
} from "../support/runtime-node.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;
let browser: Browser;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  expect(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); npm test and .ci/run do`,
  ).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  server = await startNode(serverEnv(database.url, prefix));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cleanupNodes();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

/** The ids of every operation block Swagger UI rendered while the page was scrolled from top to bottom. */
async function everyOperationRendered(page: import("playwright-core").Page): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let step = 0; step < 2_000; step++) {
    for (const id of await page.locator(".opblock[id]").evaluateAll((blocks) => blocks.map((b) => b.id))) seen.add(id);
    const moved = await page.evaluate(() => {
      const before = window.scrollY;
      window.scrollBy(0, 600);
      return window.scrollY !== before;
    });
    if (!moved) break;
    await page.waitForTimeout(20);
  }
  for (const id of await page.locator(".opblock[id]").evaluateAll((blocks) => blocks.map((b) => b.id))) seen.add(id);
  return seen;
}

describe("/docs in chromium", () => {
  it(
    "loads only from its own origin, breaks no CSP rule, and renders the operations",
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const requests: string[] = [];
      const failed: string[] = [];
      const problems: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      page.on("requestfailed", (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      // Injected by the browser, outside the page's CSP: records every violation the page causes.
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { cspViolations: string[] }).cspViolations = seen;
        document.addEventListener("securitypolicyviolation", (event) =>
          seen.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`),
        );
      });

      const response = await page.goto(`${server.base}/docs`, { waitUntil: "networkidle" });
      expect(response?.status()).toBe(200);
      const healthz = page.locator('.opblock-summary-path[data-path="/healthz"]');
      await healthz.first().waitFor({ state: "visible", timeout: 20_000 });
      await expect
        .poll(() => page.locator(".opblock-summary-description", { hasText: "Liveness" }).first().isVisible())
        .toBe(true);
      // Swagger UI renders a long list virtually (only what is in view): scroll it all through, then back.
      const rendered = await everyOperationRendered(page);
      const described = (await (await fetch(`${server.base}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const operations = Object.values(described.paths).flatMap((item) => Object.keys(item));
      expect(rendered.size).toBe(operations.length);
      await page.evaluate(() => window.scrollTo(0, 0));
      // Expanding an operation renders its schemas and highlighted examples (styles set by script).
      await healthz.first().click();
      await page.locator(".opblock-body .responses-wrapper").first().waitFor({ state: "visible" });

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "docs.png"), fullPage: false });

      const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
      expect(violations, problems.join("\n")).toEqual([]);
      expect(problems.filter((text) => /content security policy|refused to/i.test(text))).toEqual([]);
      expect(failed).toEqual([]);
      const origin = new URL(server.base).origin;
      const foreign = requests.filter((url) => !url.startsWith("data:") && new URL(url).origin !== origin);
      expect(foreign).toEqual([]);
      // The page, Swagger UI's script and stylesheet, and the API description.
      expect(requests.map((url) => new URL(url).pathname)).toEqual(expect.arrayContaining(["/docs", "/openapi.json"]));
      expect(requests.filter((url) => url.includes("/docs/assets/")).length).toBe(2);
      await page.close();
    },
    PROCESS_TEST_MS,
  );

  it(
    "is reached from / : the first-contact page passes axe, breaks no CSP rule, fits 320 px, and its links lead on",
    async () => {
      for (const width of [1024, 320]) {
        const { page, watch } = await watchedPage(browser, server.base, width);
        const response = await page.goto(`${server.base}/`);
        expect(response?.status()).toBe(200);
        expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("This authority is running");
        await check(page, `home-${width}`);
        expect(watch).toEqual({ foreign: [], failed: [] });
        if (width === 320) {
          await page.close();
          continue;
        }
        // The server seeded the default tenant at its first start: its discovery document is one click away.
        await page.getByRole("link", { name: "Discovery of the default tenant" }).click();
        await poll(() => page.url()).toBe(`${server.base}/t/default/.well-known/openid-configuration`);
        await page.goBack();
        await page.getByRole("link", { name: "API reference" }).click();
        await poll(() => new URL(page.url()).pathname).toBe("/docs");
        await page.close();
      }
    },
    PROCESS_TEST_MS,
  );
});
