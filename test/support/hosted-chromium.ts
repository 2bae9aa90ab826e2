/**
 * The hosted pages' browser tests share this: Debian's chromium (through
 * playwright-core) kept on the machine, pages watched for CSP violations and
 * for what they load from elsewhere, the axe-core / layout / screenshot check
 * of a page, the client applications that only show where the browser
 * arrived, and a client's side of the code flow (PKCE, the code redeemed at
 * the token endpoint); and the stage a test runs on, with the built Node
 * server or the built Worker in workerd behind the same pages.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import axe from "axe-core";
import { decodeJwt } from "jose";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { startTestApp } from "./app.js";
import { freePort } from "./ports.js";
import { createTestDatabase } from "./postgres.js";
import { deletePrefix, testPrefix } from "./redis.js";
import { ADMIN_KEY, adminHeaders, call, cleanupNodes, ENTRY, serverEnv, startNode } from "./runtime-node.js";
import { startWorkerHarness, WORKER_SCRIPT } from "./runtime-worker.js";

export const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/hosted/", import.meta.url));

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });

/** Navigations take their time on a loaded machine: a poll waits up to 15 s (the default is 1 s). */
export const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

/** The page's URL as the client app (or whoever it is at) saw it. */
export const arrived = (page: Page) => new URL(page.url());

/** What the service's own pages did wrong: loaded something from another origin; requests that failed. */
export interface Watch {
  foreign: string[];
  failed: string[];
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A fresh browser context and page. Only the service's pages are held to
 * "nothing from another origin" (the upstream providers' pages are test
 * fixtures: oidc-provider's imports a web font); requests off the machine
 * are aborted, so no test waits on the network. CSP violations are recorded
 * by an init script, which runs outside the page's CSP.
 */
export async function watchedPage(
  browser: Browser,
  service: string,
  width = 1024,
): Promise<{ page: Page; watch: Watch }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const watch: Watch = { foreign: [], failed: [] };
  const origin = new URL(service).origin;
  await page.route(
    (url) => !LOOPBACK.has(url.hostname),
    (route) => route.abort("blockedbyclient"),
  );
  page.on("request", (request) => {
    const from = request.frame().url();
    if (from.startsWith(origin) && !request.isNavigationRequest() && !request.url().startsWith(origin)) {
      watch.foreign.push(`${from} loaded ${request.url()}`);
    }
  });
  page.on("requestfailed", (request) => {
    const url = new URL(request.url());
    // ERR_ABORTED is the browser cancelling, never the server failing: the test's next page.goto superseded
    // a page still loading (the app's callback, or a stylesheet of a page the test has already read).
    if (request.failure()?.errorText === "net::ERR_ABORTED") return;
    if (LOOPBACK.has(url.hostname) && url.pathname !== "/favicon.ico") {
      watch.failed.push(`${request.url()}: ${request.failure()?.errorText}`);
    }
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
 * viewport, and a screenshot in test-artifacts/hosted/.
 */
export async function check(page: Page, name: string): Promise<void> {
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
  await screenshot(page, name);
}

/** A full-page screenshot in test-artifacts/hosted/ (also of pages that are not ours, to see the way). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The client applications on one loopback server: they only show where the browser arrived. */
export async function startApps(): Promise<{ base: string; close: () => Promise<void> }> {
  const apps = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><title>App</title><h1>Back at ${req.url?.split("?")[0]}</h1></html>`);
  });
  await new Promise<void>((resolve) => apps.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(apps.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => apps.close(() => resolve())),
  };
}

/** A built server the test talks to directly, at its loopback address. */
export interface Service {
  base: string;
}

/**
 * The client applications' side of the code flow at `tenant`: each app
 * `name` has the redirect URI `{appBase}/{name}/cb` and keeps the verifier
 * of its last authorization request for the code exchange. The browser is
 * sent to `browserBase` (the PUBLIC_URL when it names the host otherwise).
 */
export function codeFlow(server: Service, tenant: string, appBase: string, browserBase = server.base) {
  let verifier = "";
  return {
    /** The last redemption's ID token as issued (an app's `id_token_hint`). */
    idToken: "",
    authorizeUrl(clientId: string, app: string, extra: Record<string, string> = {}): string {
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
      return `${browserBase}/t/${tenant}/authorize?${query}`;
    },

    /** The app's back channel: the code it was sent for tokens at the token endpoint; resolves the ID token's claims. */
    async redeem(page: Page, clientId: string, app: string): Promise<Record<string, unknown>> {
      const answer = await call(server, `/t/${tenant}/oauth2/token`, {
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
      this.idToken = answer.json.id_token as string;
      return decodeJwt(this.idToken);
    },
  };
}

export type Runtime = "node" | "worker";

/**
 * The built server of `runtime` on a database and Redis prefix of its own,
 * serving HTTP on 127.0.0.1:`port` with PUBLIC_URL `publicUrl`: the Node
 * entry as a child process, or the Worker in workerd (Postgres and Redis
 * through the Neon HTTP and Upstash REST bridges).
 */
async function startService(runtime: Runtime, port: number, publicUrl: string) {
  const base = `http://127.0.0.1:${port}`;
  if (runtime === "worker") {
    expect(existsSync(WORKER_SCRIPT), `${WORKER_SCRIPT} is missing: run npm run build:worker`).toBe(true);
    const harness = await startWorkerHarness({ PUBLIC_URL: publicUrl });
    await harness.start({}, { port }).catch(async (error) => {
      await harness.close();
      throw error;
    });
    const server: Service = { base };
    return { server, adminKey: harness.adminKey, close: () => harness.close() };
  }
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build:node`).toBe(true);
  const database = await createTestDatabase();
  const prefix = testPrefix();
  const close = async () => {
    await cleanupNodes();
    await deletePrefix(prefix);
    await database.drop();
  };
  const env = serverEnv(database.url, prefix, { PORT: String(port), PUBLIC_URL: publicUrl });
  const server: Service = await startNode(env).catch(async (error) => {
    await close();
    throw error;
  });
  return { server, adminKey: ADMIN_KEY, close };
}

/**
 * One browser test's stage: the built server of `runtime` (its PUBLIC_URL
 * on `host`, `base` below), the tenant, the client apps, the code flow and
 * chromium.
 */
export async function startChromiumStage(
  tenant: { slug: string; name: string },
  { runtime = "node", host = "127.0.0.1" }: { runtime?: Runtime; host?: string } = {},
) {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  const port = await freePort();
  const base = `http://${host}:${port}`;
  const service = await startService(runtime, port, base);
  const { server } = service;
  const admin = adminHeaders(service.adminKey);
  // No stage to close in afterAll when this fails: what did start stops here.
  const apps = await startApps().catch(async (error) => {
    await service.close();
    throw error;
  });
  const browser = await (async () => {
    const created = await call(server, "/v1/admin/tenants", {
      method: "POST",
      headers: admin,
      body: JSON.stringify(tenant),
    });
    expect(created.status, created.text).toBe(201);
    return launchChromium();
  })().catch(async (error) => {
    await apps.close();
    await service.close();
    throw error;
  });
  return {
    server,
    base,
    apps,
    browser,
    /** The runtime's bootstrap admin key (tenant settings, as an operator would change them). */
    adminKey: service.adminKey,
    flow: codeFlow(server, tenant.slug, apps.base, base),
    /** Registers a client whose app `app` has the redirect URI `{apps}/{app}/cb`; resolves its client_id. */
    async registerClient(app: string, extra: Record<string, unknown> = {}): Promise<string> {
      const client = await call(server, `/t/${tenant.slug}/v1/admin/clients`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ type: "public", name: app, redirect_uris: [`${apps.base}/${app}/cb`], ...extra }),
      });
      expect(client.status, client.text).toBe(201);
      return client.json.client_id as string;
    },
    /** Signs a user up through the JSON API; resolves the answer's body. */
    async signUp(email: string, password: string): Promise<Record<string, unknown>> {
      const signup = await call(server, `/t/${tenant.slug}/v1/signup`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      expect(signup.status, signup.text).toBe(201);
      return signup.json;
    },
    async close(): Promise<void> {
      await browser.close();
      await apps.close();
      await service.close();
    },
  };
}

/** What startChromiumStage resolves: the stage a browser test runs on. */
export type ChromiumStage = Awaited<ReturnType<typeof startChromiumStage>>;

/**
 * The in-process app on a loopback port, with chromium: for a test that
 * stores through the services what the admin routes would refuse. Its
 * PUBLIC_URL is `http://localhost:{port}`, a secure context.
 */
export async function startInProcessStage() {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const t = await startTestApp({}, { PUBLIC_URL: base });
  const server = serve({ fetch: t.app.fetch, port, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const browser = await launchChromium();
  return {
    t,
    base,
    browser,
    async close(): Promise<void> {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

export type InProcessStage = Awaited<ReturnType<typeof startInProcessStage>>;

/** The focused element's id, aria-invalid and the text of what describes it, as a screen reader reads it. */
export const focusedField = (page: Page) =>
  page.evaluate(() => {
    const input = document.activeElement as HTMLElement;
    const ids = (input.getAttribute("aria-describedby") ?? "").split(" ");
    const description = ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
    return { id: input.id, invalid: input.getAttribute("aria-invalid"), description };
  });
